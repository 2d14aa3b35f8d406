import * as assert from "assert";
import {
  DataClass,
  Deployment,
  EnforcementLevel,
  evaluateResidency,
  residencyRules,
} from "../../sdk/residency";
import {
  osl1,
  osl3,
  azureOslo,
  hetzner,
  exoscale,
  maple,
  mumbai,
  safespring,
  HYBRID,
  AWS_SE,
  AZURE_NO,
  CLOUD_ACT,
  SAFE_PROVIDER,
  store,
  flow,
  violationsOf,
  messagesOf,
  assertNone,
} from "./residencyFixtures";

// The residency rules as a set, and the rules on where data is stored and processed.

describe("residency rules", () => {
  it("have unique kebab-case ids, a title, a description and a default enforcement", () => {
    const ids = residencyRules.map((r) => r.id);
    assert.deepStrictEqual(ids, [
      "personal-data-location",
      "foreign-jurisdiction",
      "processing-location",
      "workload-affinity",
      "replication-target",
      "flow-outside-mesh",
      "control-plane-location",
      "unknown-node",
    ]);
    for (const r of residencyRules) {
      assert.match(r.id, /^[a-z]+(-[a-z]+)*$/);
      assert.ok(r.title.length > 10 && r.description.length > 40, r.id);
      assert.strictEqual(r.defaultEnforcement, EnforcementLevel.Mandatory, r.id);
    }
  });

  it("find nothing in the Fortress pattern done right", () => {
    const d: Deployment = {
      nodes: [...HYBRID, osl3],
      dataStores: [
        store("db", DataClass.Personal, ["osl-1"], "MySQL primary"),
        store("db-replica", DataClass.Personal, ["osl-2"]),
        store("etcd", DataClass.Special, ["osl-1", "osl-2", "osl-3"], "etcd"),
        store("cache", DataClass.Internal, ["fleet-1"], "Redis"),
      ],
      workloads: [
        { name: "api", dataClass: DataClass.Personal, requiredNodeLabels: { region: "no" } },
        { name: "frontend", dataClass: DataClass.Public, preferredNodeLabels: { region: "global" } },
        { name: "exporter", dataClass: DataClass.Personal, nodes: ["osl-1"] },
      ],
      flows: [
        flow("db-replication", "osl-1", "osl-2", DataClass.Personal, true, true),
        flow("metrics", "osl-1", "fleet-1", DataClass.Internal, false, false),
      ],
      controlPlanes: [{ name: "k3s", nodes: ["osl-1", "osl-2", "osl-3"] }],
    };
    assert.deepStrictEqual(evaluateResidency(d), []);
  });

  describe("personal-data-location", () => {
    const rule = "personal-data-location";

    it("passes personal data stored in Norway, and internal data anywhere", () =>
      assertNone(rule, {
        nodes: HYBRID,
        dataStores: [
          store("db", DataClass.Personal, ["osl-1"]),
          store("logs", DataClass.Internal, ["fleet-1"]),
        ],
      }));

    it("catches personal data on an AWS node in Sweden", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          dataStores: [store("db-dr", DataClass.Personal, ["osl-1", "fleet-1"])],
        }),
        [
          {
            subject: "db-dr",
            severity: "high",
            message:
              `MySQL replica "db-dr" holds personal data on node "fleet-1" ${AWS_SE}; the residency policy allows ` +
              "personal data only in Norway.",
            remediation:
              'Move MySQL replica "db-dr" from node "fleet-1" to a node in Norway, or keep only internal or ' +
              "public data in it.",
          },
        ],
      ));

    it("catches special-category data at a European provider outside Norway, as critical", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [hetzner],
          dataStores: [store("records", DataClass.Special, ["fsn-1"], "PostgreSQL")],
        }),
        [
          {
            subject: "records",
            severity: "critical",
            message:
              'PostgreSQL "records" holds special-category data (GDPR art. 9) on node "fsn-1" in Germany ' +
              "(Hetzner Online, legal seat Germany); the residency policy allows special-category data only in Norway.",
            remediation:
              'Move PostgreSQL "records" from node "fsn-1" to a node in Norway, or keep only internal or public ' +
              "data in it.",
          },
        ],
      ));

    it("follows the policy's allowed countries", () => {
      const d = { nodes: [hetzner], dataStores: [store("db", DataClass.Personal, ["fsn-1"])] };
      assertNone(rule, d, { allowedCountries: ["NO", "DE"] });
      assert.deepStrictEqual(messagesOf(rule, d, { allowedCountries: ["NO", "SE", "FI"] }), [
        'MySQL replica "db" holds personal data on node "fsn-1" in Germany (Hetzner Online, legal seat Germany); ' +
          "the residency policy allows personal data only in Norway, Sweden or Finland.",
      ]);
    });
  });

  describe("foreign-jurisdiction", () => {
    const rule = "foreign-jurisdiction";

    it("passes providers seated in the EEA or in a country with a full adequacy decision", () =>
      assertNone(rule, {
        nodes: [osl1, hetzner, exoscale],
        dataStores: [store("db", DataClass.Special, ["osl-1", "fsn-1", "gva-1"])],
        workloads: [{ name: "api", dataClass: DataClass.Personal, nodes: ["gva-1"] }],
      }));

    it("passes internal data on a US provider", () =>
      assertNone(rule, {
        nodes: [azureOslo],
        dataStores: [store("cache", DataClass.Internal, ["az-osl"])],
        workloads: [{ name: "web", dataClass: DataClass.Public, nodes: ["az-osl"] }],
      }));

    it("catches personal data at a US provider even in Norway (Schrems II)", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [azureOslo],
          dataStores: [store("db", DataClass.Personal, ["az-osl"], "MySQL primary")],
        }),
        [
          {
            subject: "db",
            severity: "high",
            message: `MySQL primary "db" holds personal data on node "az-osl" ${AZURE_NO}; ${CLOUD_ACT}`,
            remediation: `Move MySQL primary "db" from node "az-osl" to a node ${SAFE_PROVIDER}.`,
          },
        ],
      ));

    it("catches personal data in an AWS EU region", () =>
      assert.deepStrictEqual(
        messagesOf(rule, { nodes: HYBRID, dataStores: [store("db-dr", DataClass.Personal, ["fleet-1"])] }),
        [`MySQL replica "db-dr" holds personal data on node "fleet-1" ${AWS_SE}; ${CLOUD_ACT}`],
      ));

    it("catches a provider seated where the adequacy decision is partial or missing", () =>
      assert.deepStrictEqual(
        messagesOf(rule, {
          nodes: [maple, mumbai],
          dataStores: [store("db", DataClass.Special, ["tor-1", "bom-1"])],
        }),
        [
          'MySQL replica "db" holds special-category data (GDPR art. 9) on node "tor-1" in Norway (maplecloud, ' +
            "legal seat Canada); Canada has only a partial EU adequacy decision, which does not cover every " +
            "provider seated there, so the data is under a third country's jurisdiction wherever the node is " +
            "(Schrems II).",
          'MySQL replica "db" holds special-category data (GDPR art. 9) on node "bom-1" in Norway (bharathost, ' +
            "legal seat India); India has no EU adequacy decision, so the data is under a third country's " +
            "jurisdiction wherever the node is (Schrems II).",
        ],
      ));

    it("catches a workload pinned to a US provider's node, as critical for special data", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [osl1, azureOslo],
          workloads: [{ name: "triage", dataClass: DataClass.Special, nodes: ["osl-1", "az-osl"] }],
        }),
        [
          {
            subject: "triage",
            severity: "critical",
            message:
              `Workload "triage" processes special-category data (GDPR art. 9) on node "az-osl" ${AZURE_NO}; ` +
              CLOUD_ACT,
            remediation: `Move workload "triage" from node "az-osl" to a node ${SAFE_PROVIDER}.`,
          },
        ],
      ));
  });

  describe("processing-location", () => {
    const rule = "processing-location";

    it("passes a personal-data workload pinned to Norway, and an internal one pinned to AWS", () =>
      assertNone(rule, {
        nodes: HYBRID,
        workloads: [
          { name: "api", dataClass: DataClass.Personal, nodes: ["osl-1", "osl-2"] },
          { name: "render", dataClass: DataClass.Internal, nodes: ["fleet-1"] },
        ],
      }));

    it("catches a personal-data workload pinned to a node in Sweden", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          workloads: [{ name: "batch", dataClass: DataClass.Personal, nodes: ["fleet-1"] }],
        }),
        [
          {
            subject: "batch",
            severity: "high",
            message:
              `Workload "batch" processes personal data on node "fleet-1" ${AWS_SE}; the residency policy allows ` +
              "personal data to be processed only in Norway.",
            remediation:
              'Pin workload "batch" to nodes in Norway instead of node "fleet-1", or keep personal data out of it.',
          },
        ],
      ));

    it("catches special data processed at a European provider outside the allowed countries", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [safespring],
          workloads: [{ name: "ml", dataClass: DataClass.Special, nodes: ["sto-1"] }],
        }),
        [
          {
            subject: "ml",
            severity: "critical",
            message:
              'Workload "ml" processes special-category data (GDPR art. 9) on node "sto-1" in Sweden (Safespring, ' +
              "legal seat Sweden); the residency policy allows special-category data to be processed only in Norway.",
            remediation:
              'Pin workload "ml" to nodes in Norway instead of node "sto-1", or keep special-category data out of it.',
          },
        ],
      ));
  });
});
