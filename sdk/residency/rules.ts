import { canHoldData, inAllowedCountry, thirdCountryJurisdiction } from "./compliance";
import {
  ControlPlane,
  DataClass,
  DataFlow,
  DataStore,
  Deployment,
  EnforcementLevel,
  ResidencyNode,
  ResidencyRule,
  Severity,
  Violation,
  Workload,
  isPersonalData,
} from "./model";
import {
  countryNames,
  dataWords,
  describeNode,
  describeSite,
  labelWords,
  nodeNames,
  shortDataWords,
} from "./wording";

/** A finding before the policy stamps its enforcement level. */
type Finding = Omit<Violation, "enforcement">;

/**
 * The nodes of a deployment by name. A list per name, so that two nodes with one name are both
 * checked: a duplicate must not hide a violation behind a compliant twin.
 */
function nodesByName(d: Deployment): Map<string, ResidencyNode[]> {
  const byName = new Map<string, ResidencyNode[]>();
  for (const n of d.nodes) byName.set(n.name, [...(byName.get(n.name) ?? []), n]);
  return byName;
}

/** The known nodes among `names`, each once; unknown names are the `unknown-node` rule's. */
function knownNodes(
  byName: Map<string, ResidencyNode[]>,
  names: readonly string[] | undefined,
): ResidencyNode[] {
  return [...new Set(names ?? [])].flatMap((name) => byName.get(name) ?? []);
}

function severityOf(dataClass: DataClass, forPersonal: Severity, forSpecial: Severity): Severity {
  return dataClass === DataClass.Special ? forSpecial : forPersonal;
}

// A store's kind is the caller's words ("MySQL replica", "etcd"): used as given, even at the start.
const storeWords = (s: DataStore) => `${s.kind} "${s.name}"`;
const workloadWords = (w: Workload) => `workload "${w.name}"`;
const flowWords = (f: DataFlow) => `flow "${f.name}"`;
const controlPlaneWords = (c: ControlPlane) => `Kubernetes control plane "${c.name}"`;
/** Upper-cases the first letter: the same words at the start of a sentence. */
const start = (words: string) => words.charAt(0).toUpperCase() + words.slice(1);

const personalStores = (d: Deployment) => (d.dataStores ?? []).filter((s) => isPersonalData(s.dataClass));
const personalWorkloads = (d: Deployment) => (d.workloads ?? []).filter((w) => isPersonalData(w.dataClass));
const personalFlows = (d: Deployment) => (d.flows ?? []).filter((f) => isPersonalData(f.dataClass));

// Where personal data may go as far as the provider is concerned.
const SAFE_PROVIDER =
  "whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and " +
  "is under no foreign access law (e.g. CoolVDS in Norway)";

/** Data stores with personal or special data on a node outside the allowed countries. */
export const personalDataLocationRule: ResidencyRule = {
  id: "personal-data-location",
  title: "Personal data is stored only in allowed countries",
  description:
    "A data store that holds personal or special-category data may only be on nodes in the policy's " +
    "allowed countries (Norway by default).",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d, policy) {
    const byName = nodesByName(d);
    return personalStores(d).flatMap((store) =>
      knownNodes(byName, store.nodes)
        .filter((node) => !inAllowedCountry(node.placement, policy))
        .map((node) => ({
          ruleId: "personal-data-location",
          severity: severityOf(store.dataClass, "high", "critical"),
          subject: store.name,
          message:
            `${storeWords(store)} holds ${dataWords(store.dataClass)} on ${describeNode(node)}; the residency ` +
            `policy allows ${shortDataWords(store.dataClass)} only in ${countryNames(policy.allowedCountries)}.`,
          remediation:
            `Move ${storeWords(store)} from node "${node.name}" to a node in ` +
            `${countryNames(policy.allowedCountries)}, or keep only internal or public data in it.`,
        })),
    );
  },
};

/**
 * Data stores and pinned workloads with personal or special data on a node whose provider is under
 * a third country's jurisdiction, whatever the node's country: the Schrems II problem.
 */
export const foreignJurisdictionRule: ResidencyRule = {
  id: "foreign-jurisdiction",
  title: "Personal data stays out of third-country jurisdiction",
  description:
    "Personal or special-category data may not be stored or processed by a provider whose legal seat " +
    "is under a foreign access law (the US CLOUD Act) or in a country without a full EU adequacy " +
    "decision, even in an allowed country or an EU region (Schrems II).",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d) {
    const byName = nodesByName(d);
    const placed = [
      ...personalStores(d).map((s) => ({
        what: storeWords(s),
        whatAtStart: storeWords(s),
        verb: "holds",
        name: s.name,
        c: s.dataClass,
        nodes: s.nodes,
      })),
      ...personalWorkloads(d).map((w) => ({
        what: workloadWords(w),
        whatAtStart: start(workloadWords(w)),
        verb: "processes",
        name: w.name,
        c: w.dataClass,
        nodes: w.nodes,
      })),
    ];
    return placed.flatMap((item) =>
      knownNodes(byName, item.nodes).flatMap((node): Finding[] => {
        const why = thirdCountryJurisdiction(node.placement);
        if (!why) return [];
        return [
          {
            ruleId: "foreign-jurisdiction",
            severity: severityOf(item.c, "high", "critical"),
            subject: item.name,
            message:
              `${item.whatAtStart} ${item.verb} ${dataWords(item.c)} on ${describeNode(node)}; ${why.explanation}, ` +
              "so the data is under a third country's jurisdiction wherever the node is (Schrems II).",
            remediation: `Move ${item.what} from node "${node.name}" to a node ${SAFE_PROVIDER}.`,
          },
        ];
      }),
    );
  },
};

/** Workloads with personal or special data pinned to a node outside the allowed countries. */
export const processingLocationRule: ResidencyRule = {
  id: "processing-location",
  title: "Personal data is processed only in allowed countries",
  description:
    "A workload that processes personal or special-category data and is pinned to nodes may only be " +
    "pinned to nodes in the policy's allowed countries.",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d, policy) {
    const byName = nodesByName(d);
    return personalWorkloads(d).flatMap((w) =>
      knownNodes(byName, w.nodes)
        .filter((node) => !inAllowedCountry(node.placement, policy))
        .map((node) => ({
          ruleId: "processing-location",
          severity: severityOf(w.dataClass, "high", "critical"),
          subject: w.name,
          message:
            `${start(workloadWords(w))} processes ${dataWords(w.dataClass)} on ${describeNode(node)}; the residency ` +
            `policy allows ${shortDataWords(w.dataClass)} to be processed only in ` +
            `${countryNames(policy.allowedCountries)}.`,
          remediation:
            `Pin ${workloadWords(w)} to nodes in ${countryNames(policy.allowedCountries)} instead of node ` +
            `"${node.name}", or keep ${shortDataWords(w.dataClass)} out of it.`,
        })),
    );
  },
};

function hasLabels(labels: Readonly<Record<string, string>> | undefined): labels is Record<string, string> {
  return labels !== undefined && Object.keys(labels).length > 0;
}

function selects(node: ResidencyNode, required: Readonly<Record<string, string>>): boolean {
  return Object.entries(required).every(([k, v]) => node.labels[k] === v);
}

/**
 * Kubernetes workloads with personal or special data must require node labels that only nodes
 * allowed to hold the data carry. A preference is not enough: the scheduler drops it when it must.
 */
export const workloadAffinityRule: ResidencyRule = {
  id: "workload-affinity",
  title: "Personal-data workloads require node affinity to compliant nodes",
  description:
    "A workload that processes personal or special-category data and is scheduled by Kubernetes " +
    "needs required node labels (node affinity or node selector) that select only nodes allowed to " +
    "hold the data, e.g. region=no; preferred affinity alone is not enough.",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d, policy) {
    const findings: Finding[] = [];
    for (const w of personalWorkloads(d)) {
      const required = hasLabels(w.requiredNodeLabels) ? w.requiredNodeLabels : undefined;
      const preferred = hasLabels(w.preferredNodeLabels) ? w.preferredNodeLabels : undefined;
      // A workload pinned to nodes with no labels at all is not scheduled by labels: processing-location covers it.
      if ((w.nodes?.length ?? 0) > 0 && !required && !preferred) continue;
      const data = shortDataWords(w.dataClass);
      const mayNotHold = (n: ResidencyNode) => !canHoldData(n, w.dataClass, policy).ok;
      // Only nodes with labels are Kubernetes nodes; a cloud region the pack stands in for is not.
      const schedulable = d.nodes.filter((n) => Object.keys(n.labels).length > 0);
      if (!required) {
        const bad = schedulable.filter(mayNotHold).map((n) => n.name);
        const how = preferred
          ? `with only preferred node affinity (${labelWords(preferred)}), which the scheduler may ignore`
          : "without required node affinity";
        const including =
          bad.length > 0
            ? `${nodeNames([...new Set(bad)])}, which may not hold ${data}`
            : `nodes added later that may not hold ${data}`;
        findings.push({
          ruleId: "workload-affinity",
          severity: severityOf(w.dataClass, "medium", "high"),
          subject: w.name,
          message:
            `${start(workloadWords(w))} processes ${dataWords(w.dataClass)} ${how}, so Kubernetes may schedule it ` +
            `on any node, including ${including}.`,
          remediation:
            `Give ${workloadWords(w)} required node affinity (requiredDuringSchedulingIgnoredDuringExecution) ` +
            "on labels that only nodes allowed to hold the data carry, e.g. region=no.",
        });
        continue;
      }
      const selected = schedulable.filter((n) => selects(n, required));
      if (selected.length === 0) {
        findings.push({
          ruleId: "workload-affinity",
          severity: "low",
          subject: w.name,
          message:
            `${start(workloadWords(w))} requires node labels ${labelWords(required)}, which no node of the ` +
            "deployment carries, so it cannot be scheduled anywhere.",
          remediation:
            "Require labels that the intended nodes carry (KvmNode sets region, " +
            "topology.kubernetes.io/region and fortress.io/jurisdiction), e.g. region=no.",
        });
        continue;
      }
      for (const node of selected.filter(mayNotHold)) {
        findings.push({
          ruleId: "workload-affinity",
          severity: severityOf(w.dataClass, "high", "critical"),
          subject: w.name,
          message:
            `${start(workloadWords(w))} processes ${dataWords(w.dataClass)} and requires node labels ` +
            `${labelWords(required)}, which also select ${describeNode(node)}, a node that may not hold ${data}.`,
          remediation:
            `Require labels that select only nodes allowed to hold ${data} (e.g. region=no), so that node ` +
            `"${node.name}" is not among them.`,
        });
      }
    }
    return findings;
  },
};

/** Flows that put personal or special data on a node that may not hold it: a DR replica on AWS. */
export const replicationTargetRule: ResidencyRule = {
  id: "replication-target",
  title: "Personal data is replicated only to compliant nodes",
  description:
    "A flow of personal or special-category data (replication, backup, an API call) may only end on " +
    "a node that may hold the data: in an allowed country, with a provider outside third-country " +
    "jurisdiction.",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d, policy) {
    const byName = nodesByName(d);
    return personalFlows(d).flatMap((f) =>
      knownNodes(byName, [f.to]).flatMap((node): Finding[] => {
        const verdict = canHoldData(node, f.dataClass, policy);
        if (verdict.ok) return [];
        return [
          {
            ruleId: "replication-target",
            severity: severityOf(f.dataClass, "high", "critical"),
            subject: f.name,
            message:
              `${start(flowWords(f))} sends ${dataWords(f.dataClass)} to ${describeNode(node)}, which may not hold ` +
              `it: ${verdict.reasons.join("; ")}.`,
            remediation:
              `Send ${shortDataWords(f.dataClass)} only to nodes in ${countryNames(policy.allowedCountries)} ` +
              `${SAFE_PROVIDER}, or send only internal or public data to node "${node.name}".`,
          },
        ];
      }),
    );
  },
};

function sameSite(a: ResidencyNode, b: ResidencyNode): boolean {
  const p = a.placement;
  const q = b.placement;
  // An unknown site is not assumed to be the other node's: a missing fact must not pass a check.
  return (
    p.provider === q.provider &&
    p.country === q.country &&
    p.region === q.region &&
    p.site !== undefined &&
    p.site === q.site
  );
}

/** Flows of personal or special data must run through the mesh between sites, and never in clear. */
export const flowOutsideMeshRule: ResidencyRule = {
  id: "flow-outside-mesh",
  title: "Personal data crosses sites only through the mesh",
  description:
    "A flow of personal or special-category data between nodes at different sites or providers must " +
    "run over the WireGuard mesh; within a site it must at least be encrypted (the mesh counts). Nodes " +
    "without a site are taken to be at different sites.",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d) {
    const byName = nodesByName(d);
    const findings: Finding[] = [];
    for (const f of personalFlows(d)) {
      if (f.overMesh || f.from === f.to) continue;
      for (const from of knownNodes(byName, [f.from])) {
        for (const to of knownNodes(byName, [f.to])) {
          const data = dataWords(f.dataClass);
          if (!sameSite(from, to)) {
            const between = `from ${describeSite(from)} to ${describeSite(to)}`;
            const mustRun = `links between sites or providers that carry ${shortDataWords(f.dataClass)} must run through the mesh`;
            findings.push({
              ruleId: "flow-outside-mesh",
              severity: f.encrypted ? "medium" : severityOf(f.dataClass, "high", "critical"),
              subject: f.name,
              message: f.encrypted
                ? `${start(flowWords(f))} carries ${data} ${between} outside the WireGuard mesh; ${mustRun}.`
                : `${start(flowWords(f))} carries ${data} unencrypted ${between} outside the WireGuard mesh, so anyone ` +
                  `on the networks in between can read it; ${mustRun}.`,
              remediation: `Send ${flowWords(f)} over the mesh addresses of nodes "${from.name}" and "${to.name}".`,
            });
          } else if (!f.encrypted) {
            findings.push({
              ruleId: "flow-outside-mesh",
              severity: severityOf(f.dataClass, "medium", "high"),
              subject: f.name,
              message:
                `${start(flowWords(f))} carries ${data} unencrypted from node "${from.name}" to ` +
                `${describeSite(to)}, at the same site, so anyone on the provider's network can read it.`,
              remediation: `Send ${flowWords(f)} over the mesh, or encrypt it (TLS).`,
            });
          }
        }
      }
    }
    return findings;
  },
};

/** Kubernetes servers hold every secret of the cluster: they belong where special data may be. */
export const controlPlaneLocationRule: ResidencyRule = {
  id: "control-plane-location",
  title: "The Kubernetes control plane stays in the Fortress",
  description:
    "Kubernetes servers and their datastore (etcd) hold every secret of the cluster, so they may only " +
    "run on nodes that may hold special-category data.",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d, policy) {
    const byName = nodesByName(d);
    return (d.controlPlanes ?? []).flatMap((cp) =>
      knownNodes(byName, cp.nodes)
        .filter((node) => !canHoldData(node, DataClass.Special, policy).ok)
        .map((node) => ({
          ruleId: "control-plane-location",
          severity: "critical" as const,
          subject: cp.name,
          message:
            `${start(controlPlaneWords(cp))} runs a server on ${describeNode(node)}; the servers' datastore (etcd) ` +
            "holds every secret of the cluster, so they may only run on nodes that may hold special-category " +
            `data: in ${countryNames(policy.allowedCountries)}, with a provider outside third-country jurisdiction.`,
          remediation: `Run the servers of "${cp.name}" on Fortress nodes only, and join node "${node.name}" as an agent.`,
        })),
    );
  },
};

/** Every name a deployment refers to must be exactly one of its nodes, so a typo hides nothing. */
export const unknownNodeRule: ResidencyRule = {
  id: "unknown-node",
  title: "Every referenced node is a node of the deployment",
  description:
    "A data store, workload, flow or control plane that names a node the deployment does not have " +
    "(or a name two nodes share) cannot be checked, so a typo could hide a violation.",
  defaultEnforcement: EnforcementLevel.Mandatory,
  check(d) {
    const byName = nodesByName(d);
    const known = [...byName.keys()].sort();
    const findings: Finding[] = [];
    for (const [name, nodes] of byName) {
      if (nodes.length < 2) continue;
      findings.push({
        ruleId: "unknown-node",
        severity: "high",
        subject: name,
        message: `Node name "${name}" is given to ${nodes.length} nodes of the deployment, so what refers to it is ambiguous.`,
        remediation: "Give every node a unique name.",
      });
    }
    const refer = (
      subject: string,
      [what, whatAtStart]: [string, string],
      names: readonly string[] | undefined,
      severity: Severity,
      role = "",
      required = false,
    ) => {
      if (required && (names ?? []).length === 0) {
        findings.push({
          ruleId: "unknown-node",
          severity,
          subject,
          message: `${whatAtStart} names no node, so where it is cannot be checked.`,
          remediation: `List the nodes ${what} is on.`,
        });
      }
      for (const name of new Set(names ?? [])) {
        if (byName.has(name)) continue;
        findings.push({
          ruleId: "unknown-node",
          severity,
          subject,
          message:
            `${whatAtStart} names node "${name}"${role}, which is not a node of the deployment ` +
            `(nodes: ${known.join(", ") || "none"}), so where it is cannot be checked.`,
          remediation: `Name one of the deployment's nodes, or add node "${name}" to the deployment.`,
        });
      }
    };
    const severityFor = (c: DataClass): Severity => (isPersonalData(c) ? "high" : "low");
    for (const s of d.dataStores ?? [])
      refer(s.name, [storeWords(s), storeWords(s)], s.nodes, severityFor(s.dataClass), "", true);
    for (const w of d.workloads ?? [])
      refer(w.name, [workloadWords(w), start(workloadWords(w))], w.nodes, severityFor(w.dataClass));
    for (const f of d.flows ?? []) {
      refer(
        f.name,
        [flowWords(f), start(flowWords(f))],
        [f.from],
        severityFor(f.dataClass),
        " as its source",
      );
      refer(
        f.name,
        [flowWords(f), start(flowWords(f))],
        [f.to],
        severityFor(f.dataClass),
        " as its destination",
      );
    }
    for (const cp of d.controlPlanes ?? [])
      refer(cp.name, [controlPlaneWords(cp), start(controlPlaneWords(cp))], cp.nodes, "high", "", true);
    return findings;
  },
};

/** Every residency rule, in the order their violations are reported. */
export const residencyRules: readonly ResidencyRule[] = Object.freeze([
  personalDataLocationRule,
  foreignJurisdictionRule,
  processingLocationRule,
  workloadAffinityRule,
  replicationTargetRule,
  flowOutsideMeshRule,
  controlPlaneLocationRule,
  unknownNodeRule,
]);
