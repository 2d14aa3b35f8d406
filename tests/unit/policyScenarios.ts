// The policy pack's scenarios: each violating one with its compliant twin. Shared by the policy
// tests and, later, the report.
import { DATA_CLASS_LABEL } from "../../sdk/policy/facts";

export interface FakeResource {
  type: string;
  name: string;
  props: Record<string, unknown>;
  providerRegion?: string;
}

const tags = (cls?: string) => (cls === undefined ? {} : { tags: { "data-classification": cls } });
const aws = (type: string, name: string, cls: string | undefined, region = "eu-north-1"): FakeResource => ({
  type,
  name,
  props: { region, ...tags(cls) },
});
const labels = (cls: string) => ({ labels: { [DATA_CLASS_LABEL]: cls } });
const pod = (extra: Record<string, unknown> = {}) => ({
  containers: [{ name: "app", image: "registry.example.no/app:1" }],
  ...extra,
});
const requiredRegion = (value: string) => ({
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "region", operator: "In", values: [value] }] }],
      },
    },
  },
});
const preferredRegion = (value: string) => ({
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
const workload = (type: string, name: string, cls: string, spec: Record<string, unknown>): FakeResource => ({
  type: `kubernetes:${type}`,
  name,
  props: {
    metadata: { name, ...labels(cls) },
    spec:
      type === "batch/v1:CronJob"
        ? { schedule: "0 * * * *", jobTemplate: { spec: { template: { spec: pod(spec) } } } }
        : type === "core/v1:Pod"
          ? pod(spec)
          : { template: { spec: pod(spec) } },
  },
});
const host = (name: string, placement: Record<string, string>) => ({ name, placement });
const osl = (n: number) => host(`osl-${n}`, { country: "NO", provider: "coolvds" });
const fleet = host("fleet-1", { provider: "aws", region: "eu-north-1" });
const azureOslo = host("az-osl", { country: "NO", provider: "azure" });

export interface Scenario {
  readonly name: string;
  readonly violating: FakeResource[];
  readonly compliant: FakeResource[];
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
        props: tags("personal"),
        providerRegion: "eu-west-1",
      },
    ],
    compliant: [
      {
        ...aws("aws:efs/fileSystem:FileSystem", "uploads", "public"),
        props: tags("public"),
        providerRegion: "eu-west-1",
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
        props: {
          metadata: { name: "pv-1", ...labels("personal") },
          spec: { capacity: { storage: "100Gi" } },
        },
      },
    ],
    compliant: [
      {
        type: "kubernetes:core/v1:PersistentVolume",
        name: "pv-1",
        props: {
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
    violating: [
      { type: "fortress:index:K3sCluster", name: "k3s", props: { servers: [fleet], agents: [osl(1)] } },
    ],
    compliant: [
      { type: "fortress:index:K3sCluster", name: "k3s", props: { servers: [osl(1)], agents: [fleet] } },
    ],
  },
  {
    name: "K3s server at a US provider in Norway",
    violating: [{ type: "fortress:index:K3sCluster", name: "k3s", props: { servers: [azureOslo] } }],
    compliant: [{ type: "fortress:index:K3sCluster", name: "k3s", props: { servers: [osl(2)] } }],
  },
  {
    name: "MySQL disaster-recovery replica on AWS",
    violating: [
      {
        type: "fortress:index:GtidMySql",
        name: "db",
        props: { primary: osl(1), replicas: [osl(2), fleet], dataClass: "personal" },
      },
    ],
    compliant: [
      {
        type: "fortress:index:GtidMySql",
        name: "db",
        props: { primary: osl(1), replicas: [osl(2)], dataClass: "personal" },
      },
    ],
  },
  {
    name: "MySQL primary at a US provider in Norway",
    violating: [
      { type: "fortress:index:GtidMySql", name: "db", props: { primary: azureOslo, dataClass: "special" } },
    ],
    compliant: [
      { type: "fortress:index:GtidMySql", name: "db", props: { primary: azureOslo, dataClass: "internal" } },
    ],
  },
];
