import { FortressInputError } from "../errors";
import type { ResolvedPlacement } from "./placement";

/** What kind of data something holds, processes or carries; it decides where it may be. */
export enum DataClass {
  /** Personal data (GDPR art. 4): anything about an identifiable person. */
  Personal = "personal",
  /** Special categories of personal data (GDPR art. 9): health, religion, biometrics, ... */
  Special = "special",
  /** The organisation's own data with no personal data in it. */
  Internal = "internal",
  /** Data that may be published. */
  Public = "public",
}

const DATA_CLASSES: readonly string[] = Object.values(DataClass);

/**
 * Checks a data class given as plain input (stack config, another language) and returns it.
 * Accepts any case; throws a FortressInputError naming `propertyPath` and the valid classes.
 */
export function parseDataClass(raw: unknown, propertyPath: string): DataClass {
  const value = typeof raw === "string" ? raw.trim().toLowerCase() : raw;
  if (typeof value === "string" && DATA_CLASSES.includes(value)) return value as DataClass;
  throw new FortressInputError(
    propertyPath,
    `${JSON.stringify(raw) ?? "undefined"} is not a data class; use one of ${DATA_CLASSES.join(", ")} ` +
      "(special is GDPR article 9 data)",
  );
}

/** True for the classes the residency rules protect: personal and special. */
export function isPersonalData(dataClass: DataClass): boolean {
  return dataClass === DataClass.Personal || dataClass === DataClass.Special;
}

/** What happens when a rule finds a violation. */
export enum EnforcementLevel {
  /** The violation stops the deployment. */
  Mandatory = "mandatory",
  /** The violation is reported and the deployment goes on. */
  Advisory = "advisory",
  /** The rule is not run. */
  Disabled = "disabled",
}

/** The settings a stack may change. */
export interface ResidencyPolicy {
  /** ISO codes of the countries where personal and special data may be. Default ["NO"]. */
  readonly allowedCountries: readonly string[];
  /** Enforcement per rule id; a rule not listed keeps its default. */
  readonly enforcement: Readonly<Record<string, EnforcementLevel>>;
}

/** A host of the deployment, as the rules see it. */
export interface ResidencyNode {
  /** The node's name, as data stores, workloads, flows and control planes refer to it. */
  readonly name: string;
  readonly placement: ResolvedPlacement;
  /** The node's Kubernetes labels (see `placementLabels`). */
  readonly labels: Record<string, string>;
}

/** Something that keeps data on disk: a MySQL primary or replica, etcd, a volume. */
export interface DataStore {
  readonly name: string;
  /** What it is, as a message names it, e.g. "MySQL replica". */
  readonly kind: string;
  readonly dataClass: DataClass;
  /** The nodes its data is on. */
  readonly nodes: readonly string[];
  /** What its data class and place were read from (a tag, a region), for the report. */
  readonly evidence?: string;
}

/** Something that processes data: a Kubernetes workload, a function, a service on a host. */
export interface Workload {
  readonly name: string;
  /** What it is, as the report names it (`OpenFaaS function namespace`). Default: workload. */
  readonly kind?: string;
  readonly dataClass: DataClass;
  /**
   * The nodes it is pinned to (a service on a host, a pod with `nodeName`). Without it the workload
   * is scheduled by Kubernetes, and its node labels decide where it may run.
   */
  readonly nodes?: readonly string[];
  /** Node labels it requires (`requiredDuringSchedulingIgnoredDuringExecution`, node selector). */
  readonly requiredNodeLabels?: Record<string, string>;
  /** Node labels it prefers (`preferredDuringSchedulingIgnoredDuringExecution`): not a guarantee. */
  readonly preferredNodeLabels?: Record<string, string>;
  /** What its data class and placement were read from (which label, which affinity), for the report. */
  readonly evidence?: string;
}

/** Data moving from one node to another: replication, backups, API calls. */
export interface DataFlow {
  readonly name: string;
  /** Source node. */
  readonly from: string;
  /** Destination node: it ends up holding the data. */
  readonly to: string;
  readonly dataClass: DataClass;
  /** Runs over the WireGuard mesh addresses, so it is encrypted and stays inside the mesh. */
  readonly overMesh: boolean;
  /** Encrypted by the flow itself (e.g. TLS), apart from the mesh. */
  readonly encrypted: boolean;
}

/** A Kubernetes control plane: its servers and their datastore hold every secret of the cluster. */
export interface ControlPlane {
  readonly name: string;
  /** The nodes that run a server. */
  readonly nodes: readonly string[];
  /** The nodes that join as agents (Fleet nodes among them), for the report. */
  readonly agents?: readonly string[];
}

/**
 * Something that deploys what another source holds (an Argo CD Application): where it deploys to,
 * and why what it deploys cannot be judged here. No rule judges it; the report names it with its
 * verdict "cannot be judged", never "pass".
 */
export interface DeploymentTarget {
  readonly name: string;
  /** What it is, e.g. "Argo CD Application". */
  readonly kind: string;
  /** What it deploys from: the repository, path and revision. */
  readonly source: string;
  /** Where it deploys to: the cluster and namespace. */
  readonly destination: string;
  /** Why what it deploys cannot be judged, for the report's verdict. */
  readonly cannotJudge: string;
  /** How to judge it after all. */
  readonly remediation: string;
}

/** Everything the rules look at: the nodes and what is placed on and between them. */
export interface Deployment {
  readonly nodes: readonly ResidencyNode[];
  readonly dataStores?: readonly DataStore[];
  readonly workloads?: readonly Workload[];
  readonly flows?: readonly DataFlow[];
  readonly controlPlanes?: readonly ControlPlane[];
  /** What deploys from elsewhere: the report shows it, no rule can judge it. */
  readonly targets?: readonly DeploymentTarget[];
}

/** How bad a violation is, for ordering a report. */
export type Severity = "critical" | "high" | "medium" | "low";

/** One finding of a rule. */
export interface Violation {
  readonly ruleId: string;
  readonly severity: Severity;
  readonly enforcement: EnforcementLevel;
  /** The name of the data store, workload, flow, control plane or node it is about. */
  readonly subject: string;
  /** What data is where and why that is a problem, for a compliance officer. */
  readonly message: string;
  /** How to fix it. */
  readonly remediation: string;
}

/** A residency rule: a pure check over a deployment. */
export interface ResidencyRule {
  /** Kebab-case id, used in the policy's `enforcement` and in reports. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly defaultEnforcement: EnforcementLevel;
  check(d: Deployment, policy: ResidencyPolicy): Omit<Violation, "enforcement">[];
}
