// What the residency rules need to know, read off the resources of any Pulumi program: AWS data
// stores and their tags, Kubernetes workloads and volumes with their data-class label and node
// affinity, and Fortress's own components. Pure: no policy or Pulumi runtime in here.
import {
  DataClass,
  Deployment,
  ResidencyNode,
  Workload,
  DataStore,
  DataFlow,
  ControlPlane,
} from "../residency/model";
import { Placement, placementLabels, resolvePlacement } from "../residency/placement";

/** A resource as a policy sees it. */
export interface ResourceFacts {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, unknown>;
  /** The region of the resource's provider, where the resource does not name one itself. */
  readonly providerRegion?: string;
}

/** The tag every AWS resource that stores or processes data must carry. */
export const CLASSIFICATION_TAG = "data-classification";
/** The label a Kubernetes object that holds or processes classified data carries. */
export const DATA_CLASS_LABEL = "fortress.io/data-class";

/** AWS resource types that keep data (storage, databases, queues, logs), with what to call them. */
export const AWS_DATA_STORES: Readonly<Record<string, string>> = {
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:s3/bucketV2:BucketV2": "S3 bucket",
  "aws:ebs/volume:Volume": "EBS volume",
  "aws:ebs/snapshot:Snapshot": "EBS snapshot",
  "aws:efs/fileSystem:FileSystem": "EFS file system",
  "aws:rds/instance:Instance": "RDS database",
  "aws:rds/cluster:Cluster": "RDS cluster",
  "aws:dynamodb/table:Table": "DynamoDB table",
  "aws:docdb/cluster:Cluster": "DocumentDB cluster",
  "aws:redshift/cluster:Cluster": "Redshift cluster",
  "aws:elasticache/replicationGroup:ReplicationGroup": "ElastiCache replication group",
  "aws:elasticache/cluster:Cluster": "ElastiCache cluster",
  "aws:opensearch/domain:Domain": "OpenSearch domain",
  "aws:kinesis/stream:Stream": "Kinesis stream",
  "aws:sqs/queue:Queue": "SQS queue",
  "aws:backup/vault:Vault": "Backup vault",
  "aws:cloudwatch/logGroup:LogGroup": "CloudWatch log group",
};

/** AWS resource types that must carry the classification tag: the data stores, and compute. */
export const AWS_CLASSIFIED_TYPES: readonly string[] = [
  ...Object.keys(AWS_DATA_STORES),
  "aws:ec2/instance:Instance",
  "aws:ec2/launchTemplate:LaunchTemplate",
  "aws:autoscaling/group:Group",
  "aws:lambda/function:Function",
  "aws:ecs/service:Service",
  "aws:eks/cluster:Cluster",
  "aws:eks/nodeGroup:NodeGroup",
];

const DATA_CLASSES: readonly string[] = Object.values(DataClass);

/** The data class an AWS resource's tag or a Kubernetes label declares, or why it cannot be read. */
export function declaredClass(value: unknown): { dataClass?: DataClass; problem?: string } {
  if (value === undefined || value === null || value === "") return { problem: "missing" };
  const v = typeof value === "string" ? value.trim().toLowerCase() : "";
  return DATA_CLASSES.includes(v) ? { dataClass: v as DataClass } : { problem: JSON.stringify(value) };
}

const tagsOf = (props: Record<string, unknown>): Record<string, unknown> =>
  (props.tags as Record<string, unknown> | undefined) ?? {};

/** A node standing for an AWS region (the provider is the same in every region: its seat is not). */
function awsRegionNode(region: string | undefined): ResidencyNode {
  const placement: Placement = region ? { provider: "aws", region } : { provider: "aws", country: "US" };
  const resolved = resolvePlacement(placement);
  return {
    name: `AWS ${region ?? "(region unknown)"}`,
    placement: resolved,
    labels: placementLabels(resolved),
  };
}

// Stand-ins for the two kinds of node a Fortress cluster has, to judge a workload's affinity.
const FORTRESS_NODE: ResidencyNode = (() => {
  const p = resolvePlacement({ country: "NO", provider: "coolvds" });
  return { name: "a Fortress node (CoolVDS, Norway)", placement: p, labels: placementLabels(p) };
})();
const FLEET_NODE: ResidencyNode = (() => {
  const p = resolvePlacement({ provider: "aws", region: "eu-north-1" });
  return { name: "a Fleet node (AWS)", placement: p, labels: placementLabels(p) };
})();

type PodSpec = {
  nodeSelector?: Record<string, string>;
  affinity?: { nodeAffinity?: NodeAffinity };
};
type Requirement = { key: string; operator: string; values?: string[] };
type NodeAffinity = {
  requiredDuringSchedulingIgnoredDuringExecution?: {
    nodeSelectorTerms?: { matchExpressions?: Requirement[] }[];
  };
  preferredDuringSchedulingIgnoredDuringExecution?: { preference?: { matchExpressions?: Requirement[] } }[];
};

/** Where each workload kind keeps its pod template. */
const POD_SPEC_PATHS: Readonly<Record<string, readonly string[]>> = {
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "kubernetes:core/v1:Pod": ["spec"],
};

const dig = (obj: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>(
    (o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
    obj,
  );

/**
 * Labels a single-term required node affinity pins to: `nodeSelector` plus `In` requirements with
 * one value. Anything Fortress cannot read as such comes back as undefined.
 */
function requiredLabels(spec: PodSpec): Record<string, string> | undefined {
  const labels: Record<string, string> = { ...(spec.nodeSelector ?? {}) };
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  if (terms.length > 1) return undefined;
  for (const req of terms[0]?.matchExpressions ?? []) {
    if (req.operator !== "In" || req.values?.length !== 1) return undefined;
    labels[req.key] = req.values[0];
  }
  return labels;
}

function preferredLabels(spec: PodSpec): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const p of spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    for (const req of p.preference?.matchExpressions ?? []) {
      if (req.operator === "In" && req.values?.length === 1) labels[req.key] = req.values[0];
    }
  }
  return labels;
}

/** The residency facts of a whole program, and where each subject came from (its URN). */
export interface ProgramFacts {
  readonly deployment: Deployment;
  readonly urns: ReadonlyMap<string, string>;
  /** Findings that are not a rule of the model: what Fortress could not read. */
  readonly unreadable: readonly { readonly urn: string; readonly message: string }[];
}

/** Reads the residency facts of every resource a program registers. */
export function programFacts(resources: readonly ResourceFacts[]): ProgramFacts {
  const nodes = new Map<string, ResidencyNode>();
  const dataStores: DataStore[] = [];
  const workloads: Workload[] = [];
  const flows: DataFlow[] = [];
  const controlPlanes: ControlPlane[] = [];
  const urns = new Map<string, string>();
  const unreadable: { urn: string; message: string }[] = [];
  const addNode = (n: ResidencyNode) => nodes.set(n.name, n);

  for (const r of resources) {
    const kind = AWS_DATA_STORES[r.type];
    if (kind) {
      const declared = declaredClass(tagsOf(r.props)[CLASSIFICATION_TAG]);
      if (!declared.dataClass) continue; // the classification-tag policy reports it
      const node = awsRegionNode((r.props.region as string | undefined) ?? r.providerRegion);
      addNode(node);
      const subject = r.name;
      dataStores.push({ name: subject, kind, dataClass: declared.dataClass, nodes: [node.name] });
      urns.set(subject, r.urn);
      continue;
    }

    const podPath = POD_SPEC_PATHS[r.type];
    const metadata = (r.props.metadata ?? {}) as { name?: string; labels?: Record<string, string> };
    const label = metadata.labels?.[DATA_CLASS_LABEL];
    if (podPath && label !== undefined) {
      const declared = declaredClass(label);
      const subject = metadata.name ?? r.name;
      const described = `${r.type.split(":").pop()} "${subject}"`;
      if (!declared.dataClass) {
        unreadable.push({
          urn: r.urn,
          message: `${described} has ${DATA_CLASS_LABEL}=${declared.problem}, which is no data class; use one of ${DATA_CLASSES.join(", ")}.`,
        });
        continue;
      }
      const spec = (dig(r.props, podPath) ?? {}) as PodSpec;
      const required = requiredLabels(spec);
      if (required === undefined) {
        unreadable.push({
          urn: r.urn,
          message: `${described} holds ${declared.dataClass} data with a node affinity Fortress cannot verify (several terms, or operators other than In with one value); require region In [no] in a single term.`,
        });
        continue;
      }
      addNode(FORTRESS_NODE);
      addNode(FLEET_NODE);
      workloads.push({
        name: subject,
        dataClass: declared.dataClass,
        ...(Object.keys(required).length > 0 ? { requiredNodeLabels: required } : {}),
        ...(Object.keys(preferredLabels(spec)).length > 0
          ? { preferredNodeLabels: preferredLabels(spec) }
          : {}),
      });
      urns.set(subject, r.urn);
      continue;
    }

    if (r.type === "kubernetes:core/v1:PersistentVolume" && label !== undefined) {
      const declared = declaredClass(label);
      const subject = metadata.name ?? r.name;
      // A volume's node affinity has the shape of a pod's required one, under another name.
      const pvRequired = dig(r.props, ["spec", "nodeAffinity", "required"]) as
        NonNullable<NodeAffinity["requiredDuringSchedulingIgnoredDuringExecution"]> | undefined;
      if (declared.dataClass) {
        const required =
          requiredLabels({
            affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: pvRequired } },
          }) ?? {};
        addNode(FORTRESS_NODE);
        addNode(FLEET_NODE);
        // A volume with no required node affinity can be attached anywhere: judge it as a workload.
        workloads.push({
          name: subject,
          dataClass: declared.dataClass,
          ...(Object.keys(required).length > 0 ? { requiredNodeLabels: required } : {}),
        });
        urns.set(subject, r.urn);
      }
      continue;
    }

    if (r.type.startsWith("fortress:index:")) {
      componentFacts(r, addNode, dataStores, flows, controlPlanes, urns);
    }
  }
  return {
    deployment: { nodes: [...nodes.values()], dataStores, workloads, flows, controlPlanes },
    urns,
    unreadable,
  };
}

type HostProps = { name?: string; placement?: Placement };

/** Fortress components: their args say where each node is and what it holds. */
function componentFacts(
  r: ResourceFacts,
  addNode: (n: ResidencyNode) => void,
  dataStores: DataStore[],
  flows: DataFlow[],
  controlPlanes: ControlPlane[],
  urns: Map<string, string>,
): void {
  const hostNode = (h: HostProps | undefined): string | undefined => {
    if (!h?.name || !h.placement) return undefined;
    try {
      const p = resolvePlacement(h.placement);
      addNode({ name: h.name, placement: p, labels: placementLabels(p) });
      return h.name;
    } catch {
      return undefined; // the component itself refuses a bad placement at construction
    }
  };
  const props = r.props as {
    servers?: HostProps[];
    agents?: HostProps[];
    primary?: HostProps;
    replicas?: HostProps[];
    dataClass?: string;
    backup?: { node?: HostProps };
  };
  if (r.type === "fortress:index:KvmNode") {
    hostNode({ name: r.name, placement: (r.props as { placement?: Placement }).placement });
  }
  if (r.type === "fortress:index:K3sCluster") {
    const servers = (props.servers ?? []).map(hostNode).filter((n): n is string => n !== undefined);
    (props.agents ?? []).forEach(hostNode);
    controlPlanes.push({ name: r.name, nodes: servers });
    urns.set(r.name, r.urn);
  }
  if (r.type === "fortress:index:GtidMySql") {
    const dataClass = declaredClass(props.dataClass ?? DataClass.Personal).dataClass ?? DataClass.Personal;
    const primary = hostNode(props.primary);
    if (primary) {
      dataStores.push({
        name: r.name,
        kind: "MySQL primary",
        dataClass,
        nodes: [primary],
      });
      urns.set(r.name, r.urn);
    }
    for (const replica of (props.replicas ?? []).map(hostNode)) {
      if (!replica || !primary) continue;
      const store = `${r.name}/${replica}`;
      dataStores.push({ name: store, kind: "MySQL replica", dataClass, nodes: [replica] });
      flows.push({
        name: `${r.name} replication to ${replica}`,
        from: primary,
        to: replica,
        dataClass,
        overMesh: true,
        encrypted: true,
      });
      urns.set(store, r.urn);
      urns.set(`${r.name} replication to ${replica}`, r.urn);
    }
    // Backups hold the same data: the backup node stores it, fed from the primary over the mesh.
    const backupNode = props.backup?.node ? hostNode(props.backup.node) : undefined;
    if (backupNode && primary) {
      const store = `${r.name}/backups`;
      const flow = `${r.name} backups to ${backupNode}`;
      dataStores.push({ name: store, kind: "MySQL backups", dataClass, nodes: [backupNode] });
      flows.push({ name: flow, from: primary, to: backupNode, dataClass, overMesh: true, encrypted: true });
      urns.set(store, r.urn);
      urns.set(flow, r.urn);
    }
  }
}
