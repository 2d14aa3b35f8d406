// The rules about where data is: stores, workloads and flows of personal data, and the node
// affinity of Kubernetes workloads. The topology rules are in topologyRules.ts.
import { canHoldData, inAllowedCountry, thirdCountryJurisdiction } from "./compliance";
import { EnforcementLevel, ResidencyNode, ResidencyRule } from "./model";
import {
  Finding,
  SAFE_PROVIDER,
  flowWords,
  knownNodes,
  nodesByName,
  personalFlows,
  personalStores,
  personalWorkloads,
  severityOf,
  start,
  storeWords,
  workloadWords,
} from "./ruleHelpers";
import { controlPlaneLocationRule, flowOutsideMeshRule, unknownNodeRule } from "./topologyRules";
import { countryNames, dataWords, describeNode, labelWords, nodeNames, shortDataWords } from "./wording";

export { controlPlaneLocationRule, flowOutsideMeshRule, unknownNodeRule } from "./topologyRules";

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
