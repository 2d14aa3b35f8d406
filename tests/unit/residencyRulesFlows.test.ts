import * as assert from "assert";
import { DataClass } from "../../sdk/residency";
import {
  osl1,
  osl3,
  exoscale,
  maple,
  FORTRESS,
  HYBRID,
  AWS_SE,
  SAFE_PROVIDER,
  flow,
  violationsOf,
  assertNone,
} from "./residencyFixtures";

// The rules on flows: where replicated data may go, and which links must run through the mesh.

describe("residency rules", () => {
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
});
