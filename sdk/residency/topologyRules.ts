// The rules about how a deployment hangs together: flows between sites, where the control plane
// runs, and names that refer to no node.
import { canHoldData } from "./compliance";
import { DataClass, EnforcementLevel, ResidencyNode, ResidencyRule, Severity, isPersonalData } from "./model";
import {
  Finding,
  controlPlaneWords,
  flowWords,
  knownNodes,
  nodesByName,
  personalFlows,
  severityOf,
  start,
  storeWords,
  workloadWords,
} from "./ruleHelpers";
import { countryNames, dataWords, describeNode, describeSite, shortDataWords } from "./wording";

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
