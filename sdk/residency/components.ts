// Each component's residency facts, written once: which nodes it uses, what data it stores there,
// where that data flows and where a control plane runs. The component checks them when it is
// constructed and registers them as its `residency` output; the policy pack reads that output (or
// computes them from the component's inputs), the stack program computes them from config before
// it builds anything, and the residency report shows them.
import {
  ARGO_NAMESPACE,
  ArgoSettings,
  SEALED_SECRETS_NAME,
  SEALED_SECRETS_NAMESPACE,
  rootApplication,
  sealedSecretsValues,
} from "../argo";
import { InputProblems } from "../errors";
import { DATA_CLASS_LABEL, norwegianNodeSelector } from "../kubernetes";
import { FUNCTION_NAMESPACE, OPENFAAS_NAMESPACE } from "../openfaas";
import {
  DataClass,
  DataFlow,
  DataStore,
  Deployment,
  DeploymentTarget,
  ResidencyNode,
  Workload,
} from "./model";
import { Placement, checkPlacement, placementLabels } from "./placement";
import { labelWords } from "./wording";

/** What a component needs to know of a host for the rules: its name and where it runs. */
export interface HostPlacement {
  readonly name: string;
  readonly placement: Placement;
}

/** A host of a component as the rules see it; its placement problems recorded under `propertyPath`. */
function residencyNode(
  problems: InputProblems,
  host: HostPlacement,
  propertyPath: string,
): ResidencyNode | undefined {
  const resolved = checkPlacement(problems, host.placement, propertyPath);
  return resolved && { name: host.name, placement: resolved, labels: placementLabels(resolved) };
}

const nodesOf = (
  problems: InputProblems,
  hosts: readonly { host: HostPlacement; path: string }[],
): ResidencyNode[] => hosts.flatMap(({ host, path }) => residencyNode(problems, host, path) ?? []);

/** A KvmNode: one node and nothing on it yet. */
export function kvmNodeResidency(problems: InputProblems, name: string, placement: Placement): Deployment {
  return { nodes: nodesOf(problems, [{ host: { name, placement }, path: "placement" }]) };
}

/** A K3sCluster: its nodes, and a control plane (etcd holds every secret) on the servers. */
export function k3sClusterResidency(
  problems: InputProblems,
  name: string,
  servers: readonly HostPlacement[],
  agents: readonly HostPlacement[],
): Deployment {
  return {
    nodes: nodesOf(problems, [
      ...servers.map((host, i) => ({ host, path: `servers[${i}].placement` })),
      ...agents.map((host, i) => ({ host, path: `agents[${i}].placement` })),
    ]),
    controlPlanes: [{ name, nodes: servers.map((s) => s.name), agents: agents.map((a) => a.name) }],
  };
}

/** The names GtidMySql gives its stores and flows, shared with the pack's messages. */
export const gtidMySqlNames = {
  replicaStore: (db: string, node: string) => `${db}/${node}`,
  replicationFlow: (db: string, node: string) => `${db} replication to ${node}`,
  backupStore: (db: string) => `${db}/backups`,
  backupFlow: (db: string, node: string) => `${db} backups to ${node}`,
};

/**
 * A GtidMySql: the primary's store, a store per replica, and a replication flow (over the mesh,
 * TLS) from the primary to each replica; with backups, the backup node holds the same data
 * (sealed) and is fed from the primary over the mesh.
 */
export function gtidMySqlResidency(
  problems: InputProblems,
  name: string,
  primary: HostPlacement,
  replicas: readonly HostPlacement[],
  dataClass: DataClass,
  backup?: HostPlacement,
): Deployment {
  const dataStores: DataStore[] = [
    { name, kind: "MySQL primary", dataClass, nodes: [primary.name] },
    ...replicas.map((r) => ({
      name: gtidMySqlNames.replicaStore(name, r.name),
      kind: "MySQL replica",
      dataClass,
      nodes: [r.name],
    })),
    ...(backup
      ? [{ name: gtidMySqlNames.backupStore(name), kind: "MySQL backups", dataClass, nodes: [backup.name] }]
      : []),
  ];
  const flows: DataFlow[] = [
    ...replicas.map((r) => ({ name: gtidMySqlNames.replicationFlow(name, r.name), to: r.name })),
    ...(backup ? [{ name: gtidMySqlNames.backupFlow(name, backup.name), to: backup.name }] : []),
  ].map((f) => ({ ...f, from: primary.name, dataClass, overMesh: true, encrypted: true }));
  const members = [primary.name, ...replicas.map((r) => r.name)];
  return {
    nodes: nodesOf(problems, [
      { host: primary, path: "primary.placement" },
      ...replicas.map((host, i) => ({ host, path: `replicas[${i}].placement` })),
      ...(backup && !members.includes(backup.name) ? [{ host: backup, path: "backup.node.placement" }] : []),
    ]),
    dataStores,
    flows,
  };
}

const pinnedBy = (namespace: string) =>
  `namespace ${namespace} carries the PodNodeSelector annotation ${labelWords(norwegianNodeSelector())}, ` +
  "which the API server merges into every pod of the namespace and enforces";

/** The names OpenFaasPlatform gives its workloads, shared with the pack's and the report's words. */
export const openFaasPlatformNames = {
  gateway: (platform: string) => `${platform}/${OPENFAAS_NAMESPACE}`,
  functions: (platform: string) => `${platform}/${FUNCTION_NAMESPACE}`,
};

/**
 * An OpenFaasPlatform: its two namespaces as workloads pinned to Norwegian nodes by the
 * `PodNodeSelector` annotation. Both are taken to process personal data: the gateway and the
 * queue see every request body, and what a function handles is not declared anywhere.
 */
export function openFaasPlatformResidency(name: string, functions: readonly string[]): Deployment {
  const required = norwegianNodeSelector();
  const fns =
    functions.length > 0
      ? `functions ${functions.join(", ")}, each also with constraints ${labelWords(required)}`
      : "no functions declared (functions deployed through the gateway land here too)";
  const workloads: Workload[] = [
    {
      name: openFaasPlatformNames.gateway(name),
      kind: "OpenFaaS gateway namespace",
      dataClass: DataClass.Personal,
      requiredNodeLabels: required,
      evidence:
        `${pinnedBy(OPENFAAS_NAMESPACE)}, and the chart's nodeSelector ${labelWords(required)}; ` +
        "data class personal assumed: the gateway, the queue and NATS see every request body",
    },
    {
      name: openFaasPlatformNames.functions(name),
      kind: "OpenFaaS function namespace",
      dataClass: DataClass.Personal,
      requiredNodeLabels: required,
      evidence:
        `${pinnedBy(FUNCTION_NAMESPACE)}; ${fns}; ` +
        "data class personal assumed: what a function handles is not declared",
    },
  ];
  return { nodes: [], workloads };
}

/** The names ArgoBootstrap gives its workloads and its target. */
export const argoBootstrapNames = {
  argoCd: (argo: string) => `${argo}/${ARGO_NAMESPACE}`,
  sealedSecrets: (argo: string) => `${argo}/${SEALED_SECRETS_NAME}`,
  root: (argo: string, application: string) => `${argo}/${application}`,
};

/**
 * An ArgoBootstrap: Argo CD (the repository key, cluster-admin rights) and the Sealed Secrets
 * controller (the key that opens every SealedSecret), both special like the control plane and
 * pinned to Norwegian nodes; and the root Application as a target whose contents cannot be judged:
 * they are whatever the repository holds.
 */
export function argoBootstrapResidency(
  name: string,
  repoUrl: string,
  path: string,
  settings: ArgoSettings,
): Deployment {
  const root = rootApplication(settings, repoUrl, path);
  const selector = (sealedSecretsValues(settings).nodeSelector ?? {}) as Record<string, string>;
  const why = "data class special assumed, as for the control plane:";
  const workloads: Workload[] = [
    {
      name: argoBootstrapNames.argoCd(name),
      kind: "Argo CD namespace",
      dataClass: DataClass.Special,
      requiredNodeLabels: norwegianNodeSelector(),
      evidence:
        `${pinnedBy(ARGO_NAMESPACE)}, and the chart's global nodeSelector ${labelWords(norwegianNodeSelector())}; ` +
        `${why} Argo CD holds the repository key and acts with cluster-admin rights`,
    },
    ...(settings.sealedSecrets
      ? [
          {
            name: argoBootstrapNames.sealedSecrets(name),
            kind: "Sealed Secrets controller",
            dataClass: DataClass.Special,
            requiredNodeLabels: selector,
            evidence:
              `the sealed-secrets chart's nodeSelector ${labelWords(selector)} (namespace ` +
              `${SEALED_SECRETS_NAMESPACE} has no PodNodeSelector); ${why} its key opens every SealedSecret`,
          },
        ]
      : []),
  ];
  const { source, destination } = root.spec;
  const target: DeploymentTarget = {
    name: argoBootstrapNames.root(name, root.metadata.name),
    kind: "Argo CD Application (app-of-apps root)",
    source: `${source.repoURL}, path ${source.path}, revision ${source.targetRevision}`,
    destination: `${destination.server} (the cluster Argo CD runs in), namespace ${destination.namespace}`,
    cannotJudge:
      "it deploys whatever the repository holds at that path and revision, synced by Argo CD " +
      "(automated prune and selfHeal), not by Pulumi, so neither the policy pack nor this report sees those objects",
    remediation:
      `label the overlay's workloads ${DATA_CLASS_LABEL} and give those with personal data required node ` +
      "affinity region=no, check the rendered overlay (kustomize build) in the repository's CI, and " +
      "pin the namespaces it deploys to with the PodNodeSelector annotation region=no",
  };
  return { nodes: [], workloads, targets: [target] };
}

/**
 * Several components' facts as one deployment. A node that two components name with the same
 * placement is one node; two different placements under one name stay two, for the unknown-node
 * rule to call ambiguous.
 */
export function mergeResidency(parts: readonly Deployment[]): Deployment {
  const nodes = new Map<string, ResidencyNode>();
  for (const n of parts.flatMap((p) => p.nodes)) {
    const key = `${n.name}\u0000${JSON.stringify(n.placement)}`;
    if (!nodes.has(key)) nodes.set(key, n);
  }
  return {
    nodes: [...nodes.values()],
    dataStores: parts.flatMap((p) => p.dataStores ?? []),
    workloads: parts.flatMap((p) => p.workloads ?? []),
    flows: parts.flatMap((p) => p.flows ?? []),
    controlPlanes: parts.flatMap((p) => p.controlPlanes ?? []),
    targets: parts.flatMap((p) => p.targets ?? []),
  };
}
