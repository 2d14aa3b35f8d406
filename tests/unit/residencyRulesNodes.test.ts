import * as assert from "assert";
import { DataClass, Deployment, ResidencyPolicy, evaluateResidency } from "../../sdk/residency";
import {
  osl1,
  osl3,
  fleet1,
  azureOslo,
  safespring,
  HYBRID,
  AWS_SE,
  store,
  flow,
  violationsOf,
  assertNone,
} from "./residencyFixtures";

// The rules on nodes: where control-plane servers may run, and references to nodes that do not exist.

describe("residency rules", () => {
  describe("control-plane-location", () => {
    const rule = "control-plane-location";

    it("passes servers in the Fortress", () =>
      assertNone(rule, {
        nodes: [...HYBRID, osl3],
        controlPlanes: [{ name: "k3s", nodes: ["osl-1", "osl-2", "osl-3"] }],
      }));

    it("catches a server on an AWS node", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          controlPlanes: [{ name: "k3s", nodes: ["osl-1", "osl-2", "fleet-1"] }],
        }),
        [
          {
            subject: "k3s",
            severity: "critical",
            message:
              `Kubernetes control plane "k3s" runs a server on node "fleet-1" ${AWS_SE}; the servers' datastore ` +
              "(etcd) holds every secret of the cluster, so they may only run on nodes that may hold " +
              "special-category data: in Norway, with a provider outside third-country jurisdiction.",
            remediation:
              'Run the servers of "k3s" on Fortress nodes only, and join node "fleet-1" as an agent.',
          },
        ],
      ));

    it("catches a server at a US provider in Norway, and follows the allowed countries", () => {
      const d = {
        nodes: [osl1, azureOslo, safespring],
        controlPlanes: [{ name: "k3s", nodes: ["osl-1", "az-osl", "sto-1"] }],
      };
      const serverNodes = (policy?: Partial<ResidencyPolicy>) =>
        violationsOf(rule, d, policy).map((v) => /runs a server on node "([^"]+)"/.exec(v.message)?.[1]);
      assert.deepStrictEqual(serverNodes(), ["az-osl", "sto-1"]);
      assert.deepStrictEqual(serverNodes({ allowedCountries: ["NO", "SE"] }), ["az-osl"]);
    });
  });

  describe("unknown-node", () => {
    const rule = "unknown-node";
    const NODES = "(nodes: fleet-1, osl-1, osl-2)";

    it("passes references to nodes of the deployment", () =>
      assertNone(rule, {
        nodes: HYBRID,
        dataStores: [store("db", DataClass.Personal, ["osl-1"])],
        workloads: [{ name: "api", dataClass: DataClass.Personal, requiredNodeLabels: { region: "no" } }],
        flows: [flow("r", "osl-1", "osl-2", DataClass.Personal, true, true)],
        controlPlanes: [{ name: "k3s", nodes: ["osl-1"] }],
      }));

    it("catches a typo that would hide a replica on AWS", () => {
      const d: Deployment = { nodes: HYBRID, dataStores: [store("db-dr", DataClass.Personal, ["flet-1"])] };
      assert.deepStrictEqual(violationsOf(rule, d), [
        {
          subject: "db-dr",
          severity: "high",
          message: `MySQL replica "db-dr" names node "flet-1", which is not a node of the deployment ${NODES}, so where it is cannot be checked.`,
          remediation: 'Name one of the deployment\'s nodes, or add node "flet-1" to the deployment.',
        },
      ]);
      // No other rule claims to know where it is.
      assert.deepStrictEqual(
        evaluateResidency(d).map((v) => v.ruleId),
        ["unknown-node"],
      );
    });

    it("catches unknown nodes of workloads, flows (source and destination) and control planes", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          workloads: [{ name: "render", dataClass: DataClass.Internal, nodes: ["gpu-1"] }],
          flows: [flow("sync", "osl-9", "fleet-2", DataClass.Personal, true, true)],
          controlPlanes: [{ name: "k3s", nodes: ["osl-1", "osl-1", "osl3"] }],
        }).map((v) => [v.subject, v.severity, v.message]),
        [
          [
            "render",
            "low",
            `Workload "render" names node "gpu-1", which is not a node of the deployment ${NODES}, so where it is cannot be checked.`,
          ],
          [
            "sync",
            "high",
            `Flow "sync" names node "osl-9" as its source, which is not a node of the deployment ${NODES}, so where it is cannot be checked.`,
          ],
          [
            "sync",
            "high",
            `Flow "sync" names node "fleet-2" as its destination, which is not a node of the deployment ${NODES}, so where it is cannot be checked.`,
          ],
          [
            "k3s",
            "high",
            `Kubernetes control plane "k3s" names node "osl3", which is not a node of the deployment ${NODES}, so where it is cannot be checked.`,
          ],
        ],
      ));

    it("catches a data store or control plane that names no node", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          dataStores: [store("db", DataClass.Personal, [], "MySQL primary")],
          controlPlanes: [{ name: "k3s", nodes: [] }],
        }),
        [
          {
            subject: "db",
            severity: "high",
            message: 'MySQL primary "db" names no node, so where it is cannot be checked.',
            remediation: 'List the nodes MySQL primary "db" is on.',
          },
          {
            subject: "k3s",
            severity: "high",
            message: 'Kubernetes control plane "k3s" names no node, so where it is cannot be checked.',
            remediation: 'List the nodes Kubernetes control plane "k3s" is on.',
          },
        ],
      ));

    it("catches two nodes with one name, and checks both of them", () => {
      const twin = { ...fleet1, name: "osl-1" };
      const d: Deployment = { nodes: [osl1, twin], dataStores: [store("db", DataClass.Personal, ["osl-1"])] };
      assert.deepStrictEqual(violationsOf(rule, d), [
        {
          subject: "osl-1",
          severity: "high",
          message:
            'Node name "osl-1" is given to 2 nodes of the deployment, so what refers to it is ambiguous.',
          remediation: "Give every node a unique name.",
        },
      ]);
      assert.deepStrictEqual(
        evaluateResidency(d).map((v) => v.ruleId),
        ["personal-data-location", "foreign-jurisdiction", "unknown-node"],
      );
    });
  });
});
