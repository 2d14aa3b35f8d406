import * as assert from "assert";
import {
  DataClass,
  DataFlow,
  DataStore,
  Deployment,
  Placement,
  ResidencyNode,
  ResidencyPolicy,
  Violation,
  evaluateResidency,
  placementLabels,
  residencyRules,
  resolvePlacement,
} from "../../sdk/residency";

// Fixtures of the residency rule specs: the Fortress pattern's nodes, some that break it, and
// helpers that read one rule's violations.

export function node(name: string, placement: Placement): ResidencyNode {
  const p = resolvePlacement(placement);
  return { name, placement: p, labels: placementLabels(p) };
}

export const osl1 = node("osl-1", { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" });
export const osl2 = node("osl-2", { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" });
export const osl3 = node("osl-3", { country: "NO", provider: "coolvds", region: "no-oslo-1" });
export const fleet1 = node("fleet-1", { provider: "aws", region: "eu-north-1" });
export const azureOslo = node("az-osl", { country: "NO", provider: "azure", region: "norwayeast" });
export const hetzner = node("fsn-1", {
  country: "DE",
  provider: "hetzner",
  region: "fsn1",
  site: "Falkenstein",
});
export const exoscale = node("gva-1", { country: "NO", provider: "exoscale" });
export const maple = node("tor-1", { country: "NO", provider: "maplecloud", legalSeat: "CA" });
export const mumbai = node("bom-1", { country: "NO", provider: "bharathost", legalSeat: "IN" });
export const safespring = node("sto-1", { country: "SE", provider: "safespring", site: "Stockholm" });

export const FORTRESS = [osl1, osl2];
export const HYBRID = [osl1, osl2, fleet1];

export const AWS_SE =
  "in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act)";
export const AZURE_NO = "in Norway (Microsoft Azure, legal seat United States, subject to the US CLOUD Act)";
export const CLOUD_ACT =
  "under the US CLOUD Act, authorities of the United States can compel the provider to hand over data it " +
  "holds anywhere, so the data is under a third country's jurisdiction wherever the node is (Schrems II).";
export const SAFE_PROVIDER =
  "whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is " +
  "under no foreign access law (e.g. CoolVDS in Norway)";

export const store = (
  name: string,
  dataClass: DataClass,
  nodes: string[],
  kind = "MySQL replica",
): DataStore => ({
  name,
  kind,
  dataClass,
  nodes,
});
export const flow = (
  name: string,
  from: string,
  to: string,
  dataClass: DataClass,
  overMesh: boolean,
  encrypted: boolean,
): DataFlow => ({
  name,
  from,
  to,
  dataClass,
  overMesh,
  encrypted,
});

export type Seen = Pick<Violation, "subject" | "severity" | "message" | "remediation">;

/** The violations of one rule, without the rule id and enforcement (asserted elsewhere). */
export function violationsOf(ruleId: string, d: Deployment, policy?: Partial<ResidencyPolicy>): Seen[] {
  assert.ok(
    residencyRules.some((r) => r.id === ruleId),
    `no rule ${ruleId}`,
  );
  return evaluateResidency(d, policy)
    .filter((v) => v.ruleId === ruleId)
    .map(({ subject, severity, message, remediation }) => ({ subject, severity, message, remediation }));
}

export const messagesOf = (ruleId: string, d: Deployment, policy?: Partial<ResidencyPolicy>) =>
  violationsOf(ruleId, d, policy).map((v) => v.message);

export function assertNone(ruleId: string, d: Deployment, policy?: Partial<ResidencyPolicy>): void {
  assert.deepStrictEqual(violationsOf(ruleId, d, policy), []);
}

/** What Kubernetes accepts as a label value. */
export const LABEL_VALUE = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;
