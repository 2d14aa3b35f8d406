import * as assert from "assert";
import { FortressInputError } from "../../sdk/errors";
import {
  DataClass,
  Deployment,
  EnforcementLevel,
  ResidencyNode,
  canHoldData,
  defaultResidencyPolicy,
  evaluateResidency,
  mandatoryViolations,
  residencyRules,
  validateResidencyPolicy,
} from "../../sdk/residency";
import { osl1, fleet1, azureOslo, hetzner, mumbai, HYBRID, store, flow } from "./residencyFixtures";

// Whether a node may hold a data class, the residency policy's settings, and how enforcement applies.

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
