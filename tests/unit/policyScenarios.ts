// The policy pack's scenarios: each violating one with its compliant twin, as the engine would
// hand them to the pack (inputs for resource policies, outputs for stack policies; see
// packHarness.ts). Shared by the policy tests and the report tests.
import { checkArgoArgs } from "../../sdk/argo";
import { InputProblems } from "../../sdk/errors";
import { DATA_CLASS_LABEL } from "../../sdk/policy/facts";
import {
  DataClass,
  HostPlacement,
  argoBootstrapResidency,
  gtidMySqlResidency,
  k3sClusterResidency,
  kvmNodeResidency,
  openFaasPlatformResidency,
} from "../../sdk/residency";
import { EngineResource } from "./packHarness";

export const tags = (cls?: string) => (cls === undefined ? {} : { tags: { "data-classification": cls } });
export const aws = (
  type: string,
  name: string,
  cls: string | undefined,
  region = "eu-north-1",
): EngineResource => ({
  type,
  name,
  inputs: { region, ...tags(cls) },
});
export const labels = (cls: string) => ({ labels: { [DATA_CLASS_LABEL]: cls } });
export const pod = (extra: Record<string, unknown> = {}) => ({
  containers: [{ name: "app", image: "registry.example.no/app:1" }],
  ...extra,
});
export const requiredRegion = (value: string) => ({
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "region", operator: "In", values: [value] }] }],
      },
    },
  },
});
export const preferredRegion = (value: string) => ({
  affinity: {
    nodeAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        {
          weight: 100,
          preference: { matchExpressions: [{ key: "region", operator: "In", values: [value] }] },
        },
      ],
    },
  },
});
export const workload = (
  type: string,
  name: string,
  cls: string,
  spec: Record<string, unknown>,
): EngineResource => ({
  type: `kubernetes:${type}`,
  name,
  inputs: {
    metadata: { name, ...labels(cls) },
    spec:
      type === "batch/v1:CronJob"
        ? { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: pod(spec) } } } }
        : type === "core/v1:Pod"
          ? pod(spec)
          : { template: { spec: pod(spec) } },
  },
});
export const host = (name: string, placement: Record<string, string>): HostPlacement => ({
  name,
  placement: placement as unknown as HostPlacement["placement"],
});
export const osl = (n: number) => host(`osl-${n}`, { country: "NO", provider: "coolvds" });
const fleet = host("fleet-1", { provider: "aws", region: "eu-north-1" });
const azureOslo = host("az-osl", { country: "NO", provider: "azure" });

/**
 * A Fortress component as the engine sees it: its args as inputs, and as outputs what it registers
 * (its residency facts, from the same sdk function the component calls; policyEngine.test.ts holds
 * this against real components).
 */
export function component(kind: string, name: string, inputs: Record<string, unknown>): EngineResource {
  const type = `fortress:index:${kind}`;
  const ignore = new InputProblems();
  const hosts = (k: string) => (inputs[k] ?? []) as HostPlacement[];
  const residency =
    type === "fortress:index:OpenFaasPlatform"
      ? openFaasPlatformResidency(
          name,
          ((inputs.functions ?? []) as { name: string }[]).map((f) => f.name),
        )
      : type === "fortress:index:ArgoBootstrap"
        ? argoBootstrapResidency(
            name,
            inputs.repoUrl as string,
            inputs.path as string,
            checkArgoArgs(ignore, inputs).settings,
          )
        : type === "fortress:index:K3sCluster"
          ? k3sClusterResidency(ignore, name, hosts("servers"), hosts("agents"))
          : type === "fortress:index:GtidMySql"
            ? gtidMySqlResidency(
                ignore,
                name,
                inputs.primary as HostPlacement,
                hosts("replicas"),
                (inputs.dataClass as DataClass | undefined) ?? DataClass.Personal,
              )
            : kvmNodeResidency(ignore, name, inputs.placement as never);
  return { type, name, inputs, outputs: { residency } };
}

export interface Scenario {
  readonly name: string;
  readonly violating: EngineResource[];
  readonly compliant: EngineResource[];
  /** The pack's settings for both (`--policy-pack-config`). */
  readonly config?: Record<string, unknown>;
}

export const SCENARIOS: Scenario[] = [
  {
    name: "S3 bucket with personal data in Stockholm",
    violating: [aws("aws:s3/bucketV2:BucketV2", "users", "personal")],
    compliant: [aws("aws:s3/bucketV2:BucketV2", "users", "public")],
  },
  {
    name: "RDS database with health data in Frankfurt",
    violating: [aws("aws:rds/instance:Instance", "patients", "special", "eu-central-1")],
    compliant: [aws("aws:rds/instance:Instance", "patients", "internal", "eu-central-1")],
  },
  {
    name: "DynamoDB table with personal data",
    violating: [aws("aws:dynamodb/table:Table", "sessions", "personal")],
    compliant: [aws("aws:dynamodb/table:Table", "sessions", "internal")],
  },
  {
    name: "EBS volume with personal data",
    violating: [aws("aws:ebs/volume:Volume", "data", "personal")],
    compliant: [aws("aws:ebs/volume:Volume", "data", "internal")],
  },
  {
    name: "CloudWatch logs with personal data",
    violating: [aws("aws:cloudwatch/logGroup:LogGroup", "api-logs", "personal")],
    compliant: [aws("aws:cloudwatch/logGroup:LogGroup", "api-logs", "internal")],
  },
  {
    name: "EFS file system with personal data, region from the provider",
    violating: [
      {
        ...aws("aws:efs/fileSystem:FileSystem", "uploads", "personal"),
        inputs: tags("personal"),
        provider: { region: "eu-west-1" },
      },
    ],
    compliant: [
      {
        ...aws("aws:efs/fileSystem:FileSystem", "uploads", "public"),
        inputs: tags("public"),
        provider: { region: "eu-west-1" },
      },
    ],
  },
  {
    name: "S3 bucket without a classification tag",
    violating: [aws("aws:s3/bucket:Bucket", "misc", undefined)],
    compliant: [aws("aws:s3/bucket:Bucket", "misc", "public")],
  },
  {
    name: "SQS queue with an unknown classification",
    violating: [aws("aws:sqs/queue:Queue", "events", "pii")],
    compliant: [aws("aws:sqs/queue:Queue", "events", "internal")],
  },
  {
    name: "EC2 instance without a classification tag",
    violating: [aws("aws:ec2/instance:Instance", "burst", undefined)],
    compliant: [aws("aws:ec2/instance:Instance", "burst", "internal")],
  },
  {
    name: "Deployment with personal data and no node affinity",
    violating: [workload("apps/v1:Deployment", "api", "personal", {})],
    compliant: [workload("apps/v1:Deployment", "api", "personal", requiredRegion("no"))],
  },
  {
    name: "StatefulSet with personal data and only a preferred affinity",
    violating: [workload("apps/v1:StatefulSet", "postgres", "personal", preferredRegion("no"))],
    compliant: [workload("apps/v1:StatefulSet", "postgres", "personal", requiredRegion("no"))],
  },
  {
    name: "Deployment with personal data required on Fleet nodes",
    violating: [workload("apps/v1:Deployment", "exporter", "personal", requiredRegion("global"))],
    compliant: [workload("apps/v1:Deployment", "exporter", "internal", requiredRegion("global"))],
  },
  {
    name: "CronJob with health data and no affinity",
    violating: [workload("batch/v1:CronJob", "gdpr-report", "special", {})],
    compliant: [workload("batch/v1:CronJob", "gdpr-report", "special", requiredRegion("no"))],
  },
  {
    name: "Pod with personal data selecting Fleet nodes",
    violating: [workload("core/v1:Pod", "debug", "personal", { nodeSelector: { region: "global" } })],
    compliant: [workload("core/v1:Pod", "debug", "personal", { nodeSelector: { region: "no" } })],
  },
  {
    name: "DaemonSet with personal data on every node",
    violating: [workload("apps/v1:DaemonSet", "log-shipper", "personal", {})],
    compliant: [workload("apps/v1:DaemonSet", "log-shipper", "personal", { nodeSelector: { region: "no" } })],
  },
  {
    name: "Job with an affinity Fortress cannot verify",
    violating: [
      workload("batch/v1:Job", "migrate", "personal", {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "region", operator: "NotIn", values: ["global"] }] },
              ],
            },
          },
        },
      }),
    ],
    compliant: [workload("batch/v1:Job", "migrate", "personal", requiredRegion("no"))],
  },
  {
    name: "Workload with an unknown data class label",
    violating: [workload("apps/v1:Deployment", "crm", "customer", requiredRegion("no"))],
    compliant: [workload("apps/v1:Deployment", "crm", "personal", requiredRegion("no"))],
  },
  {
    name: "PersistentVolume with personal data attachable anywhere",
    violating: [
      {
        type: "kubernetes:core/v1:PersistentVolume",
        name: "pv-1",
        inputs: {
          metadata: { name: "pv-1", ...labels("personal") },
          spec: { capacity: { storage: "100Gi" } },
        },
      },
    ],
    compliant: [
      {
        type: "kubernetes:core/v1:PersistentVolume",
        name: "pv-1",
        inputs: {
          metadata: { name: "pv-1", ...labels("personal") },
          spec: {
            capacity: { storage: "100Gi" },
            nodeAffinity: {
              required: {
                nodeSelectorTerms: [
                  { matchExpressions: [{ key: "region", operator: "In", values: ["no"] }] },
                ],
              },
            },
          },
        },
      },
    ],
  },
  {
    name: "K3s server on an AWS node",
    violating: [component("K3sCluster", "k3s", { servers: [fleet], agents: [osl(1)] })],
    compliant: [component("K3sCluster", "k3s", { servers: [osl(1)], agents: [fleet] })],
  },
  {
    name: "K3s server at a US provider in Norway",
    violating: [component("K3sCluster", "k3s", { servers: [azureOslo] })],
    compliant: [component("K3sCluster", "k3s", { servers: [osl(2)] })],
  },
  {
    name: "MySQL disaster-recovery replica on AWS",
    violating: [
      component("GtidMySql", "db", { primary: osl(1), replicas: [osl(2), fleet], dataClass: "personal" }),
    ],
    compliant: [component("GtidMySql", "db", { primary: osl(1), replicas: [osl(2)], dataClass: "personal" })],
  },
  {
    name: "MySQL primary at a US provider in Norway",
    violating: [component("GtidMySql", "db", { primary: azureOslo, dataClass: "special" })],
    compliant: [component("GtidMySql", "db", { primary: azureOslo, dataClass: "internal" })],
  },
];
