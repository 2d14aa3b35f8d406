import * as assert from "assert";
import { DataClass } from "../../sdk/residency";
import {
  osl1,
  azureOslo,
  maple,
  FORTRESS,
  HYBRID,
  AWS_SE,
  AZURE_NO,
  violationsOf,
  messagesOf,
  assertNone,
} from "./residencyFixtures";

// The rule that a workload with personal data is held to allowed nodes by required node affinity.

describe("residency rules", () => {
  describe("workload-affinity", () => {
    const rule = "workload-affinity";
    const REMEDIATION =
      'Give workload "api" required node affinity (requiredDuringSchedulingIgnoredDuringExecution) on labels ' +
      "that only nodes allowed to hold the data carry, e.g. region=no.";

    it("passes required region=no, a pinned workload, and workloads without personal data", () =>
      assertNone(rule, {
        nodes: HYBRID,
        workloads: [
          { name: "api", dataClass: DataClass.Personal, requiredNodeLabels: { region: "no" } },
          { name: "db-proxy", dataClass: DataClass.Special, nodes: ["osl-1"] },
          { name: "web", dataClass: DataClass.Public },
          { name: "render", dataClass: DataClass.Internal, requiredNodeLabels: { region: "global" } },
        ],
      }));

    it("passes required labels that narrow further (jurisdiction and region)", () =>
      assertNone(rule, {
        nodes: [...HYBRID, azureOslo],
        workloads: [
          {
            name: "api",
            dataClass: DataClass.Personal,
            requiredNodeLabels: {
              "fortress.io/jurisdiction": "no",
              "topology.kubernetes.io/region": "no-oslo-1",
            },
          },
        ],
      }));

    it("catches a workload without node affinity, naming the nodes it could land on", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [...HYBRID, azureOslo],
          workloads: [{ name: "api", dataClass: DataClass.Personal }],
        }),
        [
          {
            subject: "api",
            severity: "medium",
            message:
              'Workload "api" processes personal data without required node affinity, so Kubernetes may schedule ' +
              'it on any node, including nodes "fleet-1" and "az-osl", which may not hold personal data.',
            remediation: REMEDIATION,
          },
        ],
      ));

    it("catches a workload without node affinity even where every node is compliant today", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: FORTRESS,
          workloads: [{ name: "api", dataClass: DataClass.Special, requiredNodeLabels: {} }],
        }),
        [
          {
            subject: "api",
            severity: "high",
            message:
              'Workload "api" processes special-category data (GDPR art. 9) without required node affinity, so ' +
              "Kubernetes may schedule it on any node, including nodes added later that may not hold " +
              "special-category data.",
            remediation: REMEDIATION,
          },
        ],
      ));

    it("catches preferred affinity alone", () =>
      assert.deepStrictEqual(
        messagesOf(rule, {
          nodes: HYBRID,
          workloads: [{ name: "api", dataClass: DataClass.Personal, preferredNodeLabels: { region: "no" } }],
        }),
        [
          'Workload "api" processes personal data with only preferred node affinity (region=no), which the ' +
            'scheduler may ignore, so Kubernetes may schedule it on any node, including node "fleet-1", which may ' +
            "not hold personal data.",
        ],
      ));

    it("checks a pinned workload's labels too, when it has some", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          workloads: [
            {
              name: "api",
              dataClass: DataClass.Personal,
              nodes: ["osl-1"],
              preferredNodeLabels: { region: "no" },
            },
          ],
        }).map((v) => v.subject),
        ["api"],
      ));

    it("catches required labels that also select a non-compliant node, one violation per node", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [...HYBRID, azureOslo],
          workloads: [
            { name: "api", dataClass: DataClass.Personal, requiredNodeLabels: { region: "global" } },
          ],
        }),
        [
          {
            subject: "api",
            severity: "high",
            message:
              'Workload "api" processes personal data and requires node labels region=global, which also select ' +
              `node "fleet-1" ${AWS_SE}, a node that may not hold personal data.`,
            remediation:
              "Require labels that select only nodes allowed to hold personal data (e.g. region=no), so that node " +
              '"fleet-1" is not among them.',
          },
          {
            subject: "api",
            severity: "high",
            message:
              'Workload "api" processes personal data and requires node labels region=global, which also select ' +
              `node "az-osl" ${AZURE_NO}, a node that may not hold personal data.`,
            remediation:
              "Require labels that select only nodes allowed to hold personal data (e.g. region=no), so that node " +
              '"az-osl" is not among them.',
          },
        ],
      ));

    it("catches region=no on a node in Norway whose provider's seat lacks full adequacy", () =>
      assert.deepStrictEqual(
        messagesOf(rule, {
          nodes: [osl1, maple],
          workloads: [{ name: "api", dataClass: DataClass.Personal, requiredNodeLabels: { region: "no" } }],
        }),
        [
          'Workload "api" processes personal data and requires node labels region=no, which also select node ' +
            '"tor-1" in Norway (maplecloud, legal seat Canada), a node that may not hold personal data.',
        ],
      ));

    it("reports required labels that match no node at all separately", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          workloads: [
            {
              name: "api",
              dataClass: DataClass.Personal,
              requiredNodeLabels: { region: "oslo", "fortress.io/jurisdiction": "no" },
            },
          ],
        }),
        [
          {
            subject: "api",
            severity: "low",
            message:
              'Workload "api" requires node labels fortress.io/jurisdiction=no, region=oslo, which no node of the ' +
              "deployment carries, so it cannot be scheduled anywhere.",
            remediation:
              "Require labels that the intended nodes carry (KvmNode sets region, topology.kubernetes.io/region " +
              "and fortress.io/jurisdiction), e.g. region=no.",
          },
        ],
      ));
  });
});
