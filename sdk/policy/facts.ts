// What the residency rules need to know, read off the resources of any Pulumi program: any cloud
// resource that carries a classification (by its tag or label and its region, whatever its type),
// Kubernetes workloads and volumes, and Fortress's own components (their registered `residency`
// output under stack validation, their args under resource validation). Pure.
import { InputProblems } from "../errors";
import { countries } from "../residency/countries";
import { checkArgoArgs } from "../argo";
import {
  HostPlacement,
  argoBootstrapResidency,
  gtidMySqlResidency,
  k3sClusterResidency,
  kvmNodeResidency,
  mergeResidency,
  openFaasPlatformResidency,
} from "../residency/components";
import { DataClass, DataStore, Deployment, ResidencyNode } from "../residency/model";
import { Placement, placementLabels, resolvePlacement } from "../residency/placement";
import {
  CLASSIFICATION_TAG,
  Cloud,
  classificationOf,
  cloudNodeName,
  cloudOf,
  cloudPlacement,
  isPlaced,
  locationOf,
} from "./cloud";
import { kubernetesWorkloads } from "./kubernetesFacts";
import { dig, listAt, plainProps, textAt } from "./props";

export { CLASSIFICATION_TAG, declaredClass } from "./cloud";
export { DATA_CLASS_LABEL } from "./kubernetesFacts";

/** A resource as a policy sees it, its props read as plain values (see props.ts). */
export interface ResourceFacts {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, unknown>;
  /** The properties of the resource's provider (its region, location), where the engine gives them. */
  readonly providerProps?: Record<string, unknown>;
}

/** Which of a resource's properties the policy was given: the engine's choice, not ours. */
export type PropsKind = "outputs" | "inputs";

/** The residency facts of a whole program, and where each subject came from (its URN). */
export interface ProgramFacts {
  readonly deployment: Deployment;
  readonly urns: ReadonlyMap<string, string>;
  /** Findings that are not a rule of the model: what Fortress could not read. */
  readonly unreadable: readonly { readonly urn: string; readonly message: string }[];
  /** Cloud resources with no classification, for the advisory. */
  readonly unclassified: readonly { readonly urn: string; readonly message: string }[];
  /** Classification values that are no data class, for the classification policy. */
  readonly invalidClass: readonly { readonly urn: string; readonly message: string }[];
}

/** Friendly names for common data-holding types; any other type is named by its token. */
export const KIND_NAMES: Readonly<Record<string, string>> = {
  "aws:s3/bucket:Bucket": "S3 bucket",
  "aws:s3/bucketV2:BucketV2": "S3 bucket",
  "aws:ebs/volume:Volume": "EBS volume",
  "aws:ebs/snapshot:Snapshot": "EBS snapshot",
  "aws:efs/fileSystem:FileSystem": "EFS file system",
  "aws:rds/instance:Instance": "RDS database",
  "aws:rds/cluster:Cluster": "RDS cluster",
  "aws:dynamodb/table:Table": "DynamoDB table",
  "aws:sqs/queue:Queue": "SQS queue",
  "aws:cloudwatch/logGroup:LogGroup": "CloudWatch log group",
  "aws:ec2/instance:Instance": "EC2 instance",
  "aws:lambda/function:Function": "Lambda function",
  "azure-native:storage:StorageAccount": "Azure storage account",
  "gcp:storage/bucket:Bucket": "Cloud Storage bucket",
  "gcp:sql/databaseInstance:DatabaseInstance": "Cloud SQL instance",
};

/** Types that hold data whatever their args say: an unclassified one is a mandatory finding. */
export const MUST_BE_CLASSIFIED: readonly string[] = [
  ...Object.keys(KIND_NAMES),
  "aws:docdb/cluster:Cluster",
  "aws:redshift/cluster:Cluster",
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "aws:elasticache/cluster:Cluster",
  "aws:opensearch/domain:Domain",
  "aws:kinesis/stream:Stream",
  "aws:backup/vault:Vault",
  "aws:ec2/launchTemplate:LaunchTemplate",
  "aws:autoscaling/group:Group",
  "aws:ecs/service:Service",
  "aws:eks/cluster:Cluster",
  "aws:eks/nodeGroup:NodeGroup",
];

const kindOf = (type: string) => KIND_NAMES[type] ?? type;

// Stand-ins for the two kinds of node a Fortress cluster has, to judge a workload's affinity when
// the program has no K3sCluster whose nodes are known.
const standIn = (name: string, placement: Placement): ResidencyNode => {
  const p = resolvePlacement(placement);
  return { name, placement: p, labels: placementLabels(p) };
};
const FORTRESS_NODE = standIn("a Fortress node (CoolVDS, Norway)", { country: "NO", provider: "coolvds" });
const FLEET_NODE = standIn("a Fleet node (AWS)", { provider: "aws", region: "eu-north-1" });

/** Reads the residency facts of every resource a program registers. */
export function programFacts(
  resources: readonly ResourceFacts[],
  kind: PropsKind,
  defaults: { readonly awsRegion?: string } = {},
): ProgramFacts {
  const urns = new Map<string, string>();
  const unreadable: { urn: string; message: string }[] = [];
  const unclassified: { urn: string; message: string }[] = [];
  const invalidClass: { urn: string; message: string }[] = [];
  const parts: Deployment[] = [];

  for (const r of resources) {
    const props = plainProps(r.props);
    const cloud = cloudOf(r.type);
    if (cloud) {
      const store = cloudStore(cloud, { ...r, props }, defaults, { unclassified, invalidClass });
      if (store) {
        parts.push(store);
        for (const s of store.dataStores ?? []) urns.set(s.name, r.urn);
      }
      continue;
    }
    if (PLACING_COMPONENTS.includes(r.type)) {
      const facts = kind === "outputs" ? registeredFacts(r, props) : inputFacts(r, props);
      if (typeof facts === "string") {
        unreadable.push({ urn: r.urn, message: facts });
        continue;
      }
      parts.push(facts);
      for (const s of [...(facts.dataStores ?? []), ...(facts.flows ?? []), ...(facts.controlPlanes ?? [])])
        urns.set(s.name, r.urn);
      for (const w of [...(facts.workloads ?? []), ...(facts.targets ?? [])]) urns.set(w.name, r.urn);
    }
  }

  const kube = kubernetesWorkloads(resources.map((r) => ({ ...r, props: plainProps(r.props) })));
  for (const k of kube) {
    if (k.unreadable) unreadable.push({ urn: k.urn, message: k.unreadable });
    if (k.unclassified) unclassified.push({ urn: k.urn, message: k.unclassified });
    if (k.workload) urns.set(k.workload.name, k.urn);
  }
  const workloads = kube.flatMap((k) => (k.workload ? [k.workload] : []));
  const merged = mergeResidency([...parts, { nodes: [], workloads }]);
  // Without a cluster whose nodes are known, judge workloads against a node of each kind.
  const needsStandIns = (merged.workloads ?? []).length > 0 && (merged.controlPlanes ?? []).length === 0;
  const deployment = needsStandIns
    ? { ...merged, nodes: [...merged.nodes, FORTRESS_NODE, FLEET_NODE] }
    : merged;
  return { deployment, urns, unreadable, unclassified, invalidClass };
}

/** A classified cloud resource as a data store at its location's node; unclassified ones noted. */
function cloudStore(
  cloud: Cloud,
  r: ResourceFacts,
  defaults: { readonly awsRegion?: string },
  notes: {
    unclassified: { urn: string; message: string }[];
    invalidClass: { urn: string; message: string }[];
  },
): Deployment | undefined {
  const c = classificationOf(cloud, r.props, r.providerProps ?? {});
  const what = `${r.type} "${r.name}"`;
  const seat = describeSeat(cloud);
  if (c.state === "invalid") {
    notes.invalidClass.push({
      urn: r.urn,
      message: `${what} has ${cloud.tagWord} "${CLASSIFICATION_TAG}" ${c.value}, which is no data class. Use personal, special, internal or public.`,
    });
    return undefined;
  }
  if (c.state === "missing") {
    const mandatory = MUST_BE_CLASSIFIED.includes(r.type);
    if (mandatory) {
      notes.invalidClass.push({
        urn: r.urn,
        message: `${what} has no "${CLASSIFICATION_TAG}" ${cloud.tagWord}, so nobody can tell whether it holds personal data. ${cloud.tagWord === "tag" ? "Tag" : "Label"} it personal, special, internal or public.`,
      });
    } else if (isPlaced(cloud, r.props)) {
      notes.unclassified.push({
        urn: r.urn,
        message: `${what} is at ${seat} and has no "${CLASSIFICATION_TAG}" ${cloud.tagWord}, so the pack cannot tell whether it holds personal data. Set the ${cloud.tagWord} ${CLASSIFICATION_TAG} to personal, special, internal or public.`,
      });
    }
    return undefined;
  }
  const location = locationOf(cloud, r.props, r.providerProps ?? {}, defaults);
  const placement = cloudPlacement(cloud, location.region);
  // Not a Kubernetes node: no labels, so no workload is taken to be scheduled on it.
  const node: ResidencyNode = { name: cloudNodeName(cloud, location.region), placement, labels: {} };
  const store: DataStore = {
    name: r.name,
    kind: kindOf(r.type),
    dataClass: c.dataClass,
    nodes: [node.name],
    evidence: `${c.evidence}; ${location.evidence}`,
  };
  return { nodes: [node], dataStores: [store] };
}

/** `Google Cloud (legal seat United States, subject to the US CLOUD Act)`. */
function describeSeat(cloud: Cloud): string {
  const seat = countries[cloud.provider.legalSeat];
  const laws =
    seat.foreignAccessLaws.length > 0 ? `, subject to the ${seat.foreignAccessLaws.join(", ")}` : "";
  return `${cloud.provider.name} (legal seat ${seat.name}${laws})`;
}

/**
 * The Fortress components that place data on nodes or pods in namespaces, each with its facts
 * function: the mesh places none and registers none. Found by the engine suite: the real `up` of
 * the lab stack was blocked because WireGuardMesh had no facts.
 */
const PLACING_COMPONENTS: readonly string[] = [
  "fortress:index:KvmNode",
  "fortress:index:K3sCluster",
  "fortress:index:GtidMySql",
  "fortress:index:OpenFaasPlatform",
  "fortress:index:ArgoBootstrap",
];

/** Shape check of a registered `residency` output; the component built it with the facts function. */
function registeredFacts(r: ResourceFacts, props: Record<string, unknown>): Deployment | string {
  const facts = dig(props, ["residency"]) as Deployment | undefined;
  if (facts && Array.isArray(facts.nodes)) return facts;
  return (
    `${r.type} "${r.name}" registered no residency facts (its "residency" output), so where it puts data ` +
    "cannot be checked; upgrade Fortress, or run the pack on the resource's inputs (resource validation)."
  );
}

const hostOf = (h: unknown): HostPlacement | undefined => {
  const name = textAt(h, ["name"]);
  const placement = dig(h, ["placement"]);
  return name && placement && typeof placement === "object"
    ? { name, placement: placement as Placement }
    : undefined;
};
const hostsOf = (props: Record<string, unknown>, key: string) =>
  listAt(props, [key]).flatMap((h) => hostOf(h) ?? []);

/**
 * A Fortress component's facts from its args, through the same function the component uses. Bad
 * args give no facts here: the component itself refuses them when it is constructed.
 */
function inputFacts(r: ResourceFacts, props: Record<string, unknown>): Deployment {
  const ignore = new InputProblems();
  switch (r.type) {
    case "fortress:index:KvmNode":
      return kvmNodeResidency(ignore, r.name, dig(props, ["placement"]) as Placement);
    case "fortress:index:K3sCluster":
      return k3sClusterResidency(ignore, r.name, hostsOf(props, "servers"), hostsOf(props, "agents"));
    case "fortress:index:GtidMySql": {
      const primary = hostOf(dig(props, ["primary"]));
      const dataClass =
        (Object.values(DataClass) as string[]).find(
          (c) => c === textAt(props, ["dataClass"])?.toLowerCase(),
        ) ?? DataClass.Personal;
      return primary
        ? gtidMySqlResidency(
            ignore,
            r.name,
            primary,
            hostsOf(props, "replicas"),
            dataClass as DataClass,
            hostOf(dig(props, ["backup", "node"])),
          )
        : { nodes: [] };
    }
    case "fortress:index:OpenFaasPlatform":
      return openFaasPlatformResidency(
        r.name,
        listAt(props, ["functions"]).flatMap((f) => textAt(f, ["name"]) ?? []),
      );
    case "fortress:index:ArgoBootstrap": {
      const { settings } = checkArgoArgs(ignore, props);
      const repoUrl = textAt(props, ["repoUrl"]) ?? "";
      return argoBootstrapResidency(r.name, repoUrl, textAt(props, ["path"]) ?? "", settings);
    }
    default:
      return { nodes: [] };
  }
}
