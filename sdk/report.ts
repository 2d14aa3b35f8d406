// The residency report an auditor reads: every node with its jurisdiction, every data store,
// workload and flow with its data class, each rule's verdict, and a diagram of where data lives
// and flows. Markdown (with Mermaid, which every Git host renders) for people, JSON for machines.
import { canHoldData } from "./residency/compliance";
import {
  DataClass,
  Deployment,
  DeploymentTarget,
  EnforcementLevel,
  Workload,
  ResidencyPolicy,
  Violation,
  isPersonalData,
} from "./residency/model";
import { foreignAccessLawsOf } from "./residency/placement";
import { defaultResidencyPolicy, evaluateResidency } from "./residency/policy";
import { residencyRules } from "./residency/rules";
import { countryNames } from "./residency/wording";

export interface RuleVerdict {
  readonly ruleId: string;
  readonly title: string;
  readonly enforcement: EnforcementLevel;
  /** "nothing to judge" when the deployment has nothing the rule looks at: not the same as a pass. */
  readonly verdict: "pass" | "fail" | "warn" | "skipped" | "nothing to judge";
  /** How many subjects the rule looked at. */
  readonly judged: number;
  readonly violations: readonly Violation[];
}

export interface ResidencyReport {
  readonly stack: string;
  readonly allowedCountries: readonly string[];
  readonly nodes: readonly {
    name: string;
    country: string;
    provider: string;
    legalSeat: string;
    foreignAccessLaws: string[];
    region?: string;
    mayHoldPersonalData: boolean;
    /** Its role in a Kubernetes cluster: `server of "k3s"`, `agent of "k3s"`, or none. */
    cluster?: string;
  }[];
  /** Nodes that may not hold personal data and yet are in a cluster: the Fleet. */
  readonly fleetInClusters: readonly string[];
  readonly dataStores: Deployment["dataStores"];
  /** Each workload with the nodes its required labels select (the cluster's nodes that carry them). */
  readonly workloads: readonly (Workload & { selects?: string[] })[];
  readonly flows: Deployment["flows"];
  readonly controlPlanes: Deployment["controlPlanes"];
  /** What deploys from elsewhere (an Argo CD Application), each with its verdict: never a pass. */
  readonly targets: readonly (DeploymentTarget & { verdict: string })[];
  readonly verdicts: readonly RuleVerdict[];
  /** True when no mandatory rule is violated. */
  readonly compliant: boolean;
}

const personal = <T extends { dataClass: DataClass }>(items: readonly T[] | undefined) =>
  (items ?? []).filter((i) => isPersonalData(i.dataClass));

/** What each rule looks at: with none of it, the rule has nothing to judge. */
const SUBJECTS: Readonly<Record<string, (d: Deployment) => number>> = {
  "personal-data-location": (d) => personal(d.dataStores).length,
  "foreign-jurisdiction": (d) => personal(d.dataStores).length + personal(d.workloads).length,
  "processing-location": (d) => personal(d.workloads).filter((w) => (w.nodes ?? []).length > 0).length,
  "workload-affinity": (d) => personal(d.workloads).length,
  "replication-target": (d) => personal(d.flows).length,
  "flow-outside-mesh": (d) => personal(d.flows).length,
  "control-plane-location": (d) => (d.controlPlanes ?? []).length,
  "unknown-node": (d) =>
    (d.dataStores ?? []).length +
    (d.workloads ?? []).length +
    (d.flows ?? []).length +
    (d.controlPlanes ?? []).length,
};

export function residencyReport(
  stack: string,
  deployment: Deployment,
  policy: Partial<ResidencyPolicy> = {},
): ResidencyReport {
  const resolved = { ...defaultResidencyPolicy(), ...policy };
  const violations = evaluateResidency(deployment, resolved);
  const verdicts = residencyRules.map((rule): RuleVerdict => {
    const enforcement = resolved.enforcement[rule.id] ?? rule.defaultEnforcement;
    const mine = violations.filter((v) => v.ruleId === rule.id);
    const judged = (SUBJECTS[rule.id] ?? (() => 1))(deployment);
    const verdict =
      enforcement === EnforcementLevel.Disabled
        ? "skipped"
        : mine.length > 0
          ? enforcement === EnforcementLevel.Mandatory
            ? "fail"
            : "warn"
          : judged === 0
            ? "nothing to judge"
            : "pass";
    return { ruleId: rule.id, title: rule.title, enforcement, verdict, judged, violations: mine };
  });
  const roles = new Map<string, string>();
  for (const cp of deployment.controlPlanes ?? []) {
    for (const n of cp.nodes) roles.set(n, `server of "${cp.name}"`);
    for (const n of cp.agents ?? []) if (!roles.has(n)) roles.set(n, `agent of "${cp.name}"`);
  }
  return {
    stack,
    allowedCountries: resolved.allowedCountries,
    nodes: deployment.nodes.map((n) => ({
      name: n.name,
      country: n.placement.countryName,
      provider: n.placement.providerName,
      legalSeat: n.placement.legalSeatName,
      foreignAccessLaws: foreignAccessLawsOf(n.placement),
      ...(n.placement.region ? { region: n.placement.region } : {}),
      mayHoldPersonalData: canHoldData(n, DataClass.Personal, resolved).ok,
      ...(roles.has(n.name) ? { cluster: roles.get(n.name) } : {}),
    })),
    fleetInClusters: deployment.nodes
      .filter((n) => roles.has(n.name) && !canHoldData(n, DataClass.Personal, resolved).ok)
      .map((n) => n.name),
    dataStores: deployment.dataStores ?? [],
    workloads: (deployment.workloads ?? []).map((w) => {
      const required = Object.entries(w.requiredNodeLabels ?? {});
      if (required.length === 0 || (w.nodes ?? []).length > 0) return w;
      // Only nodes with labels are Kubernetes nodes (a cloud region stand-in has none).
      const selects = deployment.nodes
        .filter((n) => Object.keys(n.labels).length > 0 && required.every(([k, v]) => n.labels[k] === v))
        .map((n) => n.name);
      return { ...w, selects };
    }),
    flows: deployment.flows ?? [],
    controlPlanes: deployment.controlPlanes ?? [],
    targets: (deployment.targets ?? []).map((t) => ({ ...t, verdict: `cannot be judged: ${t.cannotJudge}` })),
    verdicts,
    compliant: verdicts.every((v) => v.verdict !== "fail"),
  };
}

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const id = (s: string): string => "n_" + s.replace(/[^A-Za-z0-9]/g, "_");
const label = (s: string): string => s.replace(/"/g, "'");

/** The report as Markdown, with a Mermaid diagram of where data lives and flows. */
export function reportMarkdown(r: ResidencyReport): string {
  const out: string[] = [];
  out.push(`# Residency report: ${r.stack}`, "");
  out.push(
    `Verdict: **${r.compliant ? "compliant" : "NOT compliant"}**. Personal and special-category data may only be in ` +
      `${countryNames(r.allowedCountries)}, with a provider outside third-country jurisdiction.` +
      (r.targets.length > 0
        ? ` What ${r.targets.length === 1 ? "one target deploys" : `${r.targets.length} targets deploy`} ` +
          "from elsewhere cannot be judged: see Deployed from elsewhere."
        : ""),
    "",
  );
  out.push(
    "## Nodes",
    "",
    "| node | country | provider | legal seat | foreign access law | may hold personal data | in a cluster |",
  );
  out.push("| --- | --- | --- | --- | --- | --- | --- |");
  for (const n of r.nodes) {
    out.push(
      `| ${cell(n.name)} | ${n.country}${n.region ? ` (${n.region})` : ""} | ${n.provider} | ${n.legalSeat} | ${n.foreignAccessLaws.join(", ") || "none"} | ${n.mayHoldPersonalData ? "yes" : "no"} | ${n.cluster ?? "no"} |`,
    );
  }
  if (r.fleetInClusters.length > 0) {
    out.push(
      "",
      `Fleet nodes in a cluster (tainted, and never selected by a workload that requires region=no): ${r.fleetInClusters.join(", ")}.`,
    );
  }
  out.push(
    "",
    "## Data",
    "",
    "| what | kind | data class | where | verdict | evidence |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  const findings = r.verdicts.flatMap((v) => v.violations);
  const verdictOf = (subject: string) => {
    const mine = findings.filter((f) => f.subject === subject);
    return mine.length === 0
      ? "pass"
      : [...new Set(mine.map((f) => `${f.ruleId} (${f.enforcement})`))].join(", ");
  };
  for (const s of r.dataStores ?? [])
    out.push(
      `| ${cell(s.name)} | ${s.kind} | ${s.dataClass} | ${s.nodes.join(", ")} | ${verdictOf(s.name)} | ${cell(s.evidence ?? "from the component's facts")} |`,
    );
  for (const c of r.controlPlanes ?? [])
    out.push(
      `| ${cell(c.name)} | Kubernetes control plane (etcd) | special | ${c.nodes.join(", ")} | ${verdictOf(c.name)} | servers of the cluster |`,
    );
  for (const w of r.workloads ?? []) {
    const selected = w.selects && ` (selects ${w.selects.length > 0 ? w.selects.join(", ") : "no node"})`;
    const where =
      w.nodes?.join(", ") ??
      (w.requiredNodeLabels
        ? Object.entries(w.requiredNodeLabels)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ") + (selected ?? "")
        : "any node");
    out.push(
      `| ${cell(w.name)} | ${cell(w.kind ?? "workload")} | ${w.dataClass} | ${cell(where)} | ${verdictOf(w.name)} | ${cell(w.evidence ?? "")} |`,
    );
  }
  if (r.targets.length > 0) {
    out.push(
      "",
      "## Deployed from elsewhere",
      "",
      "| target | kind | source | destination | verdict | to judge it |",
      "| --- | --- | --- | --- | --- | --- |",
    );
    for (const t of r.targets)
      out.push(
        `| ${cell(t.name)} | ${cell(t.kind)} | ${cell(t.source)} | ${cell(t.destination)} | ${cell(t.verdict)} | ${cell(t.remediation)} |`,
      );
  }
  out.push(
    "",
    "## Flows",
    "",
    "| flow | from | to | data class | over the mesh | encrypted |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  for (const f of r.flows ?? []) {
    out.push(
      `| ${cell(f.name)} | ${f.from} | ${f.to} | ${f.dataClass} | ${f.overMesh ? "yes" : "no"} | ${f.encrypted ? "yes" : "no"} |`,
    );
  }
  out.push(
    "",
    "## Rules",
    "",
    "| rule | enforcement | verdict | subjects judged |",
    "| --- | --- | --- | --- |",
  );
  for (const v of r.verdicts)
    out.push(`| ${v.ruleId}: ${v.title} | ${v.enforcement} | ${v.verdict} | ${v.judged} |`);
  if (findings.length > 0) {
    out.push("", "### Findings", "");
    for (const f of findings)
      out.push(`- **${f.ruleId}** (${f.enforcement}, ${f.severity}): ${f.message} *Fix:* ${f.remediation}`);
  }
  out.push("", "## Where data lives and flows", "", "```mermaid", ...mermaid(r), "```", "");
  return out.join("\n");
}

function mermaid(r: ResidencyReport): string[] {
  const lines = ["flowchart LR"];
  const byCountry = new Map<string, ResidencyReport["nodes"][number][]>();
  for (const n of r.nodes) byCountry.set(n.country, [...(byCountry.get(n.country) ?? []), n]);
  for (const [country, nodes] of byCountry) {
    lines.push(`  subgraph ${id(country)}["${label(country)}"]`);
    for (const n of nodes) {
      const law = n.foreignAccessLaws.length > 0 ? `<br/>${label(n.foreignAccessLaws.join(", "))}` : "";
      lines.push(`    ${id(n.name)}["${label(n.name)}<br/>${label(n.provider)}${law}"]`);
    }
    lines.push("  end");
  }
  for (const s of r.dataStores ?? []) {
    lines.push(`  ${id("store " + s.name)}[("${label(s.kind)} ${label(s.name)}<br/>${s.dataClass}")]`);
    for (const n of s.nodes) lines.push(`  ${id("store " + s.name)} --- ${id(n)}`);
  }
  for (const c of r.controlPlanes ?? []) {
    lines.push(`  ${id("cp " + c.name)}[("etcd ${label(c.name)}<br/>special")]`);
    for (const n of c.nodes) lines.push(`  ${id("cp " + c.name)} --- ${id(n)}`);
  }
  for (const f of r.flows ?? []) {
    lines.push(`  ${id(f.from)} -- "${f.dataClass}${f.overMesh ? ", mesh" : ""}" --> ${id(f.to)}`);
  }
  const bad = r.nodes.filter((n) => !n.mayHoldPersonalData).map((n) => id(n.name));
  if (bad.length > 0) {
    lines.push("  classDef foreign fill:#fde2e2,stroke:#c0392b", `  class ${bad.join(",")} foreign`);
  }
  return lines;
}
