// What the residency rules share: node lookup, severities and the words their messages use.
import {
  ControlPlane,
  DataClass,
  DataFlow,
  DataStore,
  Deployment,
  ResidencyNode,
  Severity,
  Violation,
  Workload,
  isPersonalData,
} from "./model";

/** A finding before the policy stamps its enforcement level. */
export type Finding = Omit<Violation, "enforcement">;

/**
 * The nodes of a deployment by name. A list per name, so that two nodes with one name are both
 * checked: a duplicate must not hide a violation behind a compliant twin.
 */
export function nodesByName(d: Deployment): Map<string, ResidencyNode[]> {
  const byName = new Map<string, ResidencyNode[]>();
  for (const n of d.nodes) byName.set(n.name, [...(byName.get(n.name) ?? []), n]);
  return byName;
}

/** The known nodes among `names`, each once; unknown names are the `unknown-node` rule's. */
export function knownNodes(
  byName: Map<string, ResidencyNode[]>,
  names: readonly string[] | undefined,
): ResidencyNode[] {
  return [...new Set(names ?? [])].flatMap((name) => byName.get(name) ?? []);
}

export function severityOf(dataClass: DataClass, forPersonal: Severity, forSpecial: Severity): Severity {
  return dataClass === DataClass.Special ? forSpecial : forPersonal;
}

// A store's kind is the caller's words ("MySQL replica", "etcd"): used as given, even at the start.
export const storeWords = (s: DataStore) => `${s.kind} "${s.name}"`;
// A workload's kind when the facts name one (`OpenFaaS function namespace`), else "workload".
export const workloadWords = (w: Workload) => `${w.kind ?? "workload"} "${w.name}"`;
export const flowWords = (f: DataFlow) => `flow "${f.name}"`;
export const controlPlaneWords = (c: ControlPlane) => `Kubernetes control plane "${c.name}"`;
/** Upper-cases the first letter: the same words at the start of a sentence. */
export const start = (words: string) => words.charAt(0).toUpperCase() + words.slice(1);

export const personalStores = (d: Deployment) =>
  (d.dataStores ?? []).filter((s) => isPersonalData(s.dataClass));
export const personalWorkloads = (d: Deployment) =>
  (d.workloads ?? []).filter((w) => isPersonalData(w.dataClass));
export const personalFlows = (d: Deployment) => (d.flows ?? []).filter((f) => isPersonalData(f.dataClass));

// Where personal data may go as far as the provider is concerned.
export const SAFE_PROVIDER =
  "whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and " +
  "is under no foreign access law (e.g. CoolVDS in Norway)";
