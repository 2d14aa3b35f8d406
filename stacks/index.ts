// Program entry named by Pulumi.yaml (`main: stacks/`). The exports are the stack outputs.
import { fortressProgram } from "./program";

const outputs = fortressProgram();
export const nodes = outputs.nodes;
export const meshAddresses = outputs.meshAddresses;
export const kubeconfig = outputs.kubeconfig;
export const apiServer = outputs.apiServer;
export const openfaasGateway = outputs.openfaasGateway;
export const openfaasPassword = outputs.openfaasPassword;
export const argoDeployKey = outputs.argoDeployKey;
export const argoAdminPassword = outputs.argoAdminPassword;
export const residency = outputs.residency;
export const databasePrimary = outputs.databasePrimary;
export const databaseReplicas = outputs.databaseReplicas;
export const databaseAdminPassword = outputs.databaseAdminPassword;
