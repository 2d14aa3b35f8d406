import * as assert from "assert";
import * as fc from "fast-check";
import { FortressInputError } from "../../sdk/errors";
import {
  DataClass,
  DataFlow,
  DataStore,
  Deployment,
  EnforcementLevel,
  Placement,
  ResidencyNode,
  ResidencyPolicy,
  Violation,
  Workload,
  awsRegions,
  canHoldData,
  cloudProviders,
  countries,
  defaultResidencyPolicy,
  evaluateResidency,
  mandatoryViolations,
  placementLabels,
  residencyRules,
  resolvePlacement,
  validateResidencyPolicy,
} from "../../sdk/residency";

// ---- fixtures: the Fortress pattern's nodes, and some that break it --------------------------

function node(name: string, placement: Placement): ResidencyNode {
  const p = resolvePlacement(placement);
  return { name, placement: p, labels: placementLabels(p) };
}

const osl1 = node("osl-1", { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" });
const osl2 = node("osl-2", { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" });
const osl3 = node("osl-3", { country: "NO", provider: "coolvds", region: "no-oslo-1" });
const fleet1 = node("fleet-1", { provider: "aws", region: "eu-north-1" });
const azureOslo = node("az-osl", { country: "NO", provider: "azure", region: "norwayeast" });
const hetzner = node("fsn-1", { country: "DE", provider: "hetzner", region: "fsn1", site: "Falkenstein" });
const exoscale = node("gva-1", { country: "NO", provider: "exoscale" });
const maple = node("tor-1", { country: "NO", provider: "maplecloud", legalSeat: "CA" });
const mumbai = node("bom-1", { country: "NO", provider: "bharathost", legalSeat: "IN" });
const safespring = node("sto-1", { country: "SE", provider: "safespring", site: "Stockholm" });

const FORTRESS = [osl1, osl2];
const HYBRID = [osl1, osl2, fleet1];

const AWS_SE = "in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act)";
const AZURE_NO = "in Norway (Microsoft Azure, legal seat United States, subject to the US CLOUD Act)";
const CLOUD_ACT =
  "under the US CLOUD Act, authorities of the United States can compel the provider to hand over data it " +
  "holds anywhere, so the data is under a third country's jurisdiction wherever the node is (Schrems II).";
const SAFE_PROVIDER =
  "whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is " +
  "under no foreign access law (e.g. CoolVDS in Norway)";

const store = (name: string, dataClass: DataClass, nodes: string[], kind = "MySQL replica"): DataStore => ({
  name,
  kind,
  dataClass,
  nodes,
});
const flow = (
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

type Seen = Pick<Violation, "subject" | "severity" | "message" | "remediation">;

/** The violations of one rule, without the rule id and enforcement (asserted elsewhere). */
function violationsOf(ruleId: string, d: Deployment, policy?: Partial<ResidencyPolicy>): Seen[] {
  assert.ok(
    residencyRules.some((r) => r.id === ruleId),
    `no rule ${ruleId}`,
  );
  return evaluateResidency(d, policy)
    .filter((v) => v.ruleId === ruleId)
    .map(({ subject, severity, message, remediation }) => ({ subject, severity, message, remediation }));
}

const messagesOf = (ruleId: string, d: Deployment, policy?: Partial<ResidencyPolicy>) =>
  violationsOf(ruleId, d, policy).map((v) => v.message);

function assertNone(ruleId: string, d: Deployment, policy?: Partial<ResidencyPolicy>): void {
  assert.deepStrictEqual(violationsOf(ruleId, d, policy), []);
}

// ---- rules ------------------------------------------------------------------------------------

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

  describe("replication-target", () => {
    const rule = "replication-target";

    it("passes personal data replicated within Norway, and internal data sent to AWS", () =>
      assertNone(rule, {
        nodes: HYBRID,
        flows: [
          flow("db-replication", "osl-1", "osl-2", DataClass.Personal, true, true),
          flow("metrics", "osl-1", "fleet-1", DataClass.Internal, true, true),
        ],
      }));

    it("catches a disaster-recovery replica on AWS, with every reason", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          flows: [flow("db-dr-replication", "osl-1", "fleet-1", DataClass.Personal, true, true)],
        }),
        [
          {
            subject: "db-dr-replication",
            severity: "high",
            message:
              `Flow "db-dr-replication" sends personal data to node "fleet-1" ${AWS_SE}, which may not hold it: ` +
              "Sweden is not an allowed country (allowed: Norway); its provider Amazon Web Services has its legal " +
              "seat in the United States, subject to the US CLOUD Act.",
            remediation:
              `Send personal data only to nodes in Norway ${SAFE_PROVIDER}, or send only internal or public data ` +
              'to node "fleet-1".',
          },
        ],
      ));

    it("catches special data sent to a provider seated without full adequacy, as critical", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [osl1, maple],
          flows: [flow("backup", "osl-1", "tor-1", DataClass.Special, true, true)],
        }).map((v) => [v.severity, v.message]),
        [
          [
            "critical",
            'Flow "backup" sends special-category data (GDPR art. 9) to node "tor-1" in Norway (maplecloud, legal ' +
              "seat Canada), which may not hold it: its provider maplecloud has its legal seat in Canada, which has " +
              "only a partial EU adequacy decision.",
          ],
        ],
      ));

    it("does not blame the source: a flow out of a non-compliant node is the store rules' concern", () =>
      assertNone(rule, {
        nodes: HYBRID,
        flows: [flow("restore", "fleet-1", "osl-1", DataClass.Personal, true, true)],
      }));
  });

  describe("flow-outside-mesh", () => {
    const rule = "flow-outside-mesh";

    it("passes cross-site flows over the mesh, encrypted flows within a site, and internal data", () =>
      assertNone(rule, {
        nodes: HYBRID,
        flows: [
          flow("to-fleet", "osl-1", "fleet-1", DataClass.Personal, true, false),
          flow("replication", "osl-1", "osl-2", DataClass.Special, false, true),
          flow("metrics", "osl-1", "fleet-1", DataClass.Internal, false, false),
          flow("loopback", "osl-1", "osl-1", DataClass.Personal, false, false),
        ],
      }));

    it("catches an unencrypted cross-provider flow outside the mesh", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: HYBRID,
          flows: [flow("sync", "osl-1", "fleet-1", DataClass.Personal, false, false)],
        }),
        [
          {
            subject: "sync",
            severity: "high",
            message:
              'Flow "sync" carries personal data unencrypted from node "osl-1" at CoolVDS (no-oslo-1, Oslo, Norway) ' +
              'to node "fleet-1" at Amazon Web Services (eu-north-1, Sweden) outside the WireGuard mesh, so anyone ' +
              "on the networks in between can read it; links between sites or providers that carry personal data " +
              "must run through the mesh.",
            remediation: 'Send flow "sync" over the mesh addresses of nodes "osl-1" and "fleet-1".',
          },
        ],
      ));

    it("catches an encrypted cross-provider flow outside the mesh, as medium", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [osl1, exoscale],
          flows: [flow("api-call", "osl-1", "gva-1", DataClass.Special, false, true)],
        }),
        [
          {
            subject: "api-call",
            severity: "medium",
            message:
              'Flow "api-call" carries special-category data (GDPR art. 9) from node "osl-1" at CoolVDS (no-oslo-1, ' +
              'Oslo, Norway) to node "gva-1" at Exoscale (Norway) outside the WireGuard mesh; links between sites or ' +
              "providers that carry special-category data must run through the mesh.",
            remediation: 'Send flow "api-call" over the mesh addresses of nodes "osl-1" and "gva-1".',
          },
        ],
      ));

    it("treats a node without a site as another site", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: [osl1, osl3],
          flows: [flow("copy", "osl-1", "osl-3", DataClass.Special, false, false)],
        }).map((v) => [v.severity, v.message]),
        [
          [
            "critical",
            'Flow "copy" carries special-category data (GDPR art. 9) unencrypted from node "osl-1" at CoolVDS ' +
              '(no-oslo-1, Oslo, Norway) to node "osl-3" at CoolVDS (no-oslo-1, Norway) outside the WireGuard mesh, ' +
              "so anyone on the networks in between can read it; links between sites or providers that carry " +
              "special-category data must run through the mesh.",
          ],
        ],
      ));

    it("catches an unencrypted flow within a site", () =>
      assert.deepStrictEqual(
        violationsOf(rule, {
          nodes: FORTRESS,
          flows: [flow("db-replication", "osl-1", "osl-2", DataClass.Personal, false, false)],
        }),
        [
          {
            subject: "db-replication",
            severity: "medium",
            message:
              'Flow "db-replication" carries personal data unencrypted from node "osl-1" to node "osl-2" at CoolVDS ' +
              "(no-oslo-1, Oslo, Norway), at the same site, so anyone on the provider's network can read it.",
            remediation: 'Send flow "db-replication" over the mesh, or encrypt it (TLS).',
          },
        ],
      ));
  });

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

// ---- canHoldData -------------------------------------------------------------------------------

describe("canHoldData", () => {
  const policy = defaultResidencyPolicy();

  it("lets any node hold internal and public data", () => {
    for (const n of [fleet1, azureOslo, mumbai]) {
      assert.deepStrictEqual(canHoldData(n, DataClass.Internal, policy), { ok: true, reasons: [] });
      assert.deepStrictEqual(canHoldData(n, DataClass.Public, policy), { ok: true, reasons: [] });
    }
  });

  it("lets a Norwegian provider's node in Norway hold special data", () =>
    assert.deepStrictEqual(canHoldData(osl1, DataClass.Special, policy), { ok: true, reasons: [] }));

  it("says in plain words why a node may not hold personal data", () => {
    assert.deepStrictEqual(canHoldData(fleet1, DataClass.Personal, policy), {
      ok: false,
      reasons: [
        "Sweden is not an allowed country (allowed: Norway)",
        "its provider Amazon Web Services has its legal seat in the United States, subject to the US CLOUD Act",
      ],
    });
    assert.deepStrictEqual(canHoldData(mumbai, DataClass.Personal, policy), {
      ok: false,
      reasons: ["its provider bharathost has its legal seat in India, which has no EU adequacy decision"],
    });
    assert.deepStrictEqual(
      canHoldData(hetzner, DataClass.Personal, { ...policy, allowedCountries: ["NO", "NL"] }),
      {
        ok: false,
        reasons: ["Germany is not an allowed country (allowed: Norway or the Netherlands)"],
      },
    );
  });

  it("does not let a hand-made placement drop the CLOUD Act", () => {
    const laundered: ResidencyNode = {
      ...azureOslo,
      placement: { ...azureOslo.placement, foreignAccessLaws: [] },
    };
    assert.deepStrictEqual(canHoldData(laundered, DataClass.Personal, policy).reasons, [
      "its provider Microsoft Azure has its legal seat in the United States, subject to the US CLOUD Act",
    ]);
  });
});

// ---- policy and enforcement --------------------------------------------------------------------

describe("residency policy", () => {
  const allMandatory = Object.fromEntries(residencyRules.map((r) => [r.id, EnforcementLevel.Mandatory]));

  it("defaults to Norway and every rule mandatory", () =>
    assert.deepStrictEqual(defaultResidencyPolicy(), {
      allowedCountries: ["NO"],
      enforcement: allMandatory,
    }));

  it("takes missing settings from the defaults", () => {
    assert.deepStrictEqual(
      validateResidencyPolicy(undefined, "fortress:residency"),
      defaultResidencyPolicy(),
    );
    assert.deepStrictEqual(validateResidencyPolicy({}, "fortress:residency"), defaultResidencyPolicy());
  });

  it("normalises codes and levels, drops duplicates, and keeps the other rules' defaults", () =>
    assert.deepStrictEqual(
      validateResidencyPolicy(
        { allowedCountries: ["no", "SE", " se", "ch"], enforcement: { "flow-outside-mesh": "Advisory" } },
        "fortress:residency",
      ),
      {
        allowedCountries: ["NO", "SE", "CH"],
        enforcement: { ...allMandatory, "flow-outside-mesh": EnforcementLevel.Advisory },
      },
    ));

  it("rejects each bad setting with what would be valid, all at once", () =>
    assert.throws(
      () =>
        validateResidencyPolicy(
          {
            allowedCountries: ["NO", "XX", "Sweden", "US", 7],
            enforcement: { "no-aws": "mandatory", "foreign-jurisdiction": "strict" },
            allowedCountry: ["NO"],
          },
          "fortress:residency",
        ),
      (e: unknown) => {
        assert.ok(e instanceof FortressInputError);
        assert.strictEqual(
          e.message,
          "fortress:residency has 7 invalid inputs:\n" +
            "  - fortress:residency.allowedCountry: is not a residency policy setting; use allowedCountries or " +
            "enforcement\n" +
            '  - fortress:residency.allowedCountries[1]: "XX" is not a known country code; it must be an ISO 3166-1 ' +
            'alpha-2 code such as "NO"\n' +
            '  - fortress:residency.allowedCountries[2]: "Sweden" is a country name; use its ISO 3166-1 alpha-2 code ' +
            '"SE"\n' +
            '  - fortress:residency.allowedCountries[3]: "US" (the United States) is outside the EEA without a full ' +
            "EU adequacy decision; allow only EEA countries or countries with one, such as CH or GB\n" +
            '  - fortress:residency.allowedCountries[4]: must be a country code such as "NO", not 7\n' +
            "  - fortress:residency.enforcement.no-aws: is not a residency rule; use one of personal-data-location, " +
            "foreign-jurisdiction, processing-location, workload-affinity, replication-target, flow-outside-mesh, " +
            "control-plane-location, unknown-node\n" +
            '  - fortress:residency.enforcement.foreign-jurisdiction: "strict" is not an enforcement level; use ' +
            "mandatory, advisory, disabled",
        );
        return true;
      },
    ));

  it("rejects shapes that are not a policy", () => {
    assert.throws(() => validateResidencyPolicy("NO", "fortress:residency"), {
      message: "fortress:residency: must be an object with allowedCountries and enforcement",
    });
    assert.throws(() => validateResidencyPolicy({ allowedCountries: [] }, "p"), {
      message:
        'p.allowedCountries: must be a non-empty list of ISO 3166-1 alpha-2 country codes, e.g. ["NO"]',
    });
    assert.throws(() => validateResidencyPolicy({ allowedCountries: "NO" }, "p"), {
      message:
        'p.allowedCountries: must be a non-empty list of ISO 3166-1 alpha-2 country codes, e.g. ["NO"]',
    });
    assert.throws(() => validateResidencyPolicy({ enforcement: ["mandatory"] }, "p"), {
      message:
        "p.enforcement: must be an object from rule id to enforcement level (mandatory, advisory, disabled)",
    });
  });

  it("is checked by evaluateResidency too", () =>
    assert.throws(() => evaluateResidency({ nodes: [] }, { allowedCountries: ["XX"] }), {
      message:
        'policy.allowedCountries[0]: "XX" is not a known country code; it must be an ISO 3166-1 alpha-2 code such as "NO"',
    }));
});

describe("evaluateResidency", () => {
  const d: Deployment = {
    nodes: HYBRID,
    dataStores: [store("db-dr", DataClass.Personal, ["fleet-1"])],
    flows: [flow("db-dr-replication", "osl-1", "fleet-1", DataClass.Personal, false, true)],
  };

  it("stamps each violation with its rule's enforcement, in rule order", () =>
    assert.deepStrictEqual(
      evaluateResidency(d).map((v) => [v.ruleId, v.enforcement, v.subject]),
      [
        ["personal-data-location", "mandatory", "db-dr"],
        ["foreign-jurisdiction", "mandatory", "db-dr"],
        ["replication-target", "mandatory", "db-dr-replication"],
        ["flow-outside-mesh", "mandatory", "db-dr-replication"],
      ],
    ));

  it("skips a disabled rule and marks an advisory one, which then does not stop a deployment", () => {
    const v = evaluateResidency(d, {
      enforcement: {
        "foreign-jurisdiction": EnforcementLevel.Disabled,
        "flow-outside-mesh": EnforcementLevel.Advisory,
      },
    });
    assert.deepStrictEqual(
      v.map((x) => [x.ruleId, x.enforcement]),
      [
        ["personal-data-location", "mandatory"],
        ["replication-target", "mandatory"],
        ["flow-outside-mesh", "advisory"],
      ],
    );
    assert.deepStrictEqual(
      mandatoryViolations(v).map((x) => x.ruleId),
      ["personal-data-location", "replication-target"],
    );
  });

  it("takes the allowed countries from a partial policy", () =>
    assert.deepStrictEqual(
      evaluateResidency(d, { allowedCountries: ["SE", "NO"] }).map((v) => v.ruleId),
      ["foreign-jurisdiction", "replication-target", "flow-outside-mesh"],
    ));
});

// ---- properties ---------------------------------------------------------------------------------

describe("residency properties", () => {
  // Any placement the catalogue can express: every provider, every country, every AWS region.
  const placementArb: fc.Arbitrary<Placement> = fc.oneof(
    fc.constantFrom(...Object.keys(awsRegions)).map((region) => ({ provider: "aws", region })),
    fc.record({
      country: fc.constantFrom(...Object.keys(countries)),
      provider: fc.constantFrom(...Object.keys(cloudProviders).filter((id) => id !== "aws")),
      site: fc.option(fc.constantFrom("Oslo", "Bergen", "Frankfurt"), { nil: undefined }),
    }),
    fc.record({
      country: fc.constantFrom(...Object.keys(countries)),
      provider: fc.constant("somehost"),
      legalSeat: fc.constantFrom(...Object.keys(countries)),
    }),
  );
  const nodesArb = fc
    .array(placementArb, { minLength: 1, maxLength: 6 })
    .map((ps) => ps.map((p, i) => node(`n-${i}`, p)));
  const policyArb = fc.record({
    allowedCountries: fc.subarray(
      Object.values(countries)
        .filter((c) => c.eea || c.adequacy === "full")
        .map((c) => c.code),
      { minLength: 1 },
    ),
  });
  const personalClass = fc.constantFrom(DataClass.Personal, DataClass.Special);
  const nonPersonalClass = fc.constantFrom(DataClass.Internal, DataClass.Public);

  it("internal and public data never violate, wherever it is and however it moves", () =>
    fc.assert(
      fc.property(
        nodesArb,
        nonPersonalClass,
        policyArb,
        fc.boolean(),
        fc.boolean(),
        (nodes, c, policy, mesh, enc) => {
          const names = nodes.map((n) => n.name);
          const d: Deployment = {
            nodes,
            dataStores: [store("s", c, names)],
            workloads: [
              { name: "w", dataClass: c, nodes: names },
              { name: "u", dataClass: c },
            ],
            flows: [flow("f", names[0], names[names.length - 1], c, mesh, enc)],
          };
          assert.deepStrictEqual(evaluateResidency(d, policy), []);
        },
      ),
    ));

  it("personal or special data on CoolVDS nodes in Norway never violates, however it moves between them", () =>
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            region: fc.option(fc.constantFrom("no-oslo-1", "no-oslo-2"), { nil: undefined }),
            site: fc.option(fc.constantFrom("Oslo", "Sandefjord"), { nil: undefined }),
          }),
          { minLength: 1, maxLength: 5 },
        ),
        personalClass,
        fc.boolean(),
        (places, c, encrypted) => {
          const nodes = places.map((p, i) => node(`osl-${i}`, { country: "NO", provider: "coolvds", ...p }));
          const names = nodes.map((n) => n.name);
          const workloads: Workload[] = [
            { name: "api", dataClass: c, requiredNodeLabels: { region: "no" } },
            { name: "job", dataClass: c, nodes: names },
          ];
          const d: Deployment = {
            nodes,
            dataStores: [store("db", c, names)],
            workloads,
            flows: [flow("r", names[0], names[names.length - 1], c, true, encrypted)],
            controlPlanes: [{ name: "k3s", nodes: names }],
          };
          assert.deepStrictEqual(evaluateResidency(d), []);
        },
      ),
    ));

  it("a personal data store violates a location or jurisdiction rule exactly when its node may not hold it", () =>
    fc.assert(
      fc.property(nodesArb, personalClass, policyArb, (nodes, c, policy) => {
        const full = validateResidencyPolicy(policy, "policy");
        for (const n of nodes) {
          const d: Deployment = { nodes: [n], dataStores: [store("db", c, [n.name])] };
          const violated = evaluateResidency(d, policy).some((v) =>
            ["personal-data-location", "foreign-jurisdiction"].includes(v.ruleId),
          );
          assert.strictEqual(
            violated,
            !canHoldData(n, c, full).ok,
            n.placement.country + n.placement.provider,
          );
        }
      }),
    ));

  it("a node labelled region=no in Norway may hold personal data under the default policy, unless its seat lacks adequacy", () =>
    fc.assert(
      fc.property(nodesArb, (nodes) => {
        for (const n of nodes.filter((x) => x.labels.region === "no")) {
          const seat = countries[n.placement.legalSeat];
          assert.strictEqual(n.placement.country, "NO");
          assert.strictEqual(
            canHoldData(n, DataClass.Personal, defaultResidencyPolicy()).ok,
            seat.eea || seat.adequacy === "full",
          );
        }
      }),
    ));

  it("enforcement only filters and stamps: the findings are the same whatever the levels", () =>
    fc.assert(
      fc.property(
        nodesArb,
        personalClass,
        fc.dictionary(
          fc.constantFrom(...residencyRules.map((r) => r.id)),
          fc.constantFrom(...Object.values(EnforcementLevel)),
        ),
        (nodes, c, enforcement) => {
          const names = nodes.map((n) => n.name);
          const d: Deployment = {
            nodes,
            dataStores: [store("db", c, [names[0]])],
            workloads: [{ name: "api", dataClass: c }],
            flows: [flow("r", names[0], names[names.length - 1], c, false, false)],
            controlPlanes: [{ name: "k3s", nodes: names }],
          };
          const all = evaluateResidency(d);
          const levelOf = (id: string) => enforcement[id] ?? EnforcementLevel.Mandatory;
          const expected = all
            .filter((v) => levelOf(v.ruleId) !== EnforcementLevel.Disabled)
            .map((v) => ({ ...v, enforcement: levelOf(v.ruleId) }));
          assert.deepStrictEqual(evaluateResidency(d, { enforcement }), expected);
        },
      ),
    ));
});
