import * as assert from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { FortressInputError, InputProblems } from "../../sdk/errors";
import { Placement, ResolvedPlacement, checkPlacement, resolvePlacement } from "../../sdk/residency";

// resolvePlacement: a node's placement filled in from the catalogue, and every way it is refused.

const PROVIDER_IDS =
  "akamai, aws, azure, binero, coolvds, digitalocean, elastx, exoscale, gcp, hetzner, infomaniak, ionos, " +
  "leaseweb, oracle, ovhcloud, safespring, scaleway, upcloud, vultr";

/** Asserts that resolving `p` throws a FortressInputError with exactly this message. */
function rejects(p: unknown, message: string, propertyPath?: string): void {
  assert.throws(
    () => (propertyPath ? resolvePlacement(p as Placement, propertyPath) : resolvePlacement(p as Placement)),
    (e: unknown) => {
      assert.ok(e instanceof FortressInputError, `not a FortressInputError: ${String(e)}`);
      assert.strictEqual(e.message, message);
      return true;
    },
  );
}

describe("resolvePlacement", () => {
  it("resolves a CoolVDS server in Oslo", () => {
    const expected: ResolvedPlacement = {
      country: "NO",
      countryName: "Norway",
      provider: "coolvds",
      providerName: "CoolVDS",
      region: "no-oslo-1",
      site: "Oslo",
      legalSeat: "NO",
      legalSeatName: "Norway",
      eea: true,
      foreignAccessLaws: [],
      jurisdiction: "no",
    };
    assert.deepStrictEqual(
      resolvePlacement({ country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" }),
      expected,
    );
  });

  it("normalises case and blanks", () => {
    assert.deepStrictEqual(
      resolvePlacement({ country: " no", provider: "CoolVDS ", region: "NO-OSLO-1", site: " Oslo " }),
      resolvePlacement({ country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" }),
    );
  });

  it("derives the country from an AWS region, and the CLOUD Act from the seat", () => {
    assert.deepStrictEqual(resolvePlacement({ provider: "aws", region: "eu-north-1" }), {
      country: "SE",
      countryName: "Sweden",
      provider: "aws",
      providerName: "Amazon Web Services",
      region: "eu-north-1",
      legalSeat: "US",
      legalSeatName: "United States",
      eea: true,
      foreignAccessLaws: ["US CLOUD Act"],
      jurisdiction: "us",
    });
  });

  it("accepts an AWS country that agrees with the region, and a seat that agrees with the catalogue", () => {
    const p = resolvePlacement({ country: "se", provider: "AWS", region: "EU-NORTH-1", legalSeat: "us" });
    assert.strictEqual(p.country, "SE");
    assert.strictEqual(p.region, "eu-north-1");
    assert.strictEqual(p.legalSeat, "US");
  });

  it("puts every US-seated provider under the CLOUD Act in every region", () => {
    for (const id of ["azure", "gcp", "digitalocean", "akamai", "oracle", "vultr"]) {
      const p = resolvePlacement({ country: "NO", provider: id });
      assert.deepStrictEqual(p.foreignAccessLaws, ["US CLOUD Act"], id);
      assert.strictEqual(p.jurisdiction, "us", id);
    }
  });

  it("resolves a provider outside the catalogue from its legal seat", () => {
    assert.deepStrictEqual(resolvePlacement({ country: "NO", provider: "Nordhost", legalSeat: "no" }), {
      country: "NO",
      countryName: "Norway",
      provider: "nordhost",
      providerName: "Nordhost",
      legalSeat: "NO",
      legalSeatName: "Norway",
      eea: true,
      foreignAccessLaws: [],
      jurisdiction: "no",
    });
    assert.deepStrictEqual(
      resolvePlacement({ country: "NO", provider: "yankhost", legalSeat: "US" }).foreignAccessLaws,
      ["US CLOUD Act"],
    );
  });

  it("resolves an alias to the catalogue id", () => {
    const p = resolvePlacement({ country: "DE", provider: "Linode", region: "eu-central" });
    assert.strictEqual(p.provider, "akamai");
    assert.strictEqual(p.providerName, "Akamai Cloud (Linode)");
  });

  it("marks a node outside the EEA", () => {
    const p = resolvePlacement({ country: "CH", provider: "exoscale", region: "ch-gva-2" });
    assert.strictEqual(p.eea, false);
    assert.strictEqual(p.jurisdiction, "ch");
  });

  describe("rejects", () => {
    it("an unknown country code", () =>
      rejects(
        { country: "XX", provider: "coolvds" },
        'placement.country: "XX" is not a known country code; it must be an ISO 3166-1 alpha-2 code such as "NO"',
      ));

    it("a country name instead of a code, suggesting the code", () =>
      rejects(
        { country: "norway", provider: "coolvds" },
        'placement.country: "norway" is a country name; use its ISO 3166-1 alpha-2 code "NO"',
      ));

    it("a missing country that cannot be derived", () =>
      rejects(
        { provider: "coolvds", region: "no-oslo-1" },
        'placement.country: is required: the ISO 3166-1 alpha-2 code of the country the node is in, such as "NO" ' +
          '(it may be left out only for provider "aws" with a region)',
      ));

    it("a missing country for AWS without a region", () =>
      rejects(
        { provider: "aws" },
        'placement.country: is required: the ISO 3166-1 alpha-2 code of the country the node is in, such as "NO" ' +
          '(it may be left out only for provider "aws" with a region)',
      ));

    it("a missing provider, listing the catalogue", () =>
      rejects({ country: "NO" }, `placement.provider: is required; use one of ${PROVIDER_IDS}`));

    it("an unknown provider without a legal seat, listing the catalogue", () =>
      rejects(
        { country: "NO", provider: "nordhost" },
        `placement.provider: "nordhost" is not in the catalogue; use one of ${PROVIDER_IDS}, ` +
          "or give placement.legalSeat, the ISO code of the country of the provider's legal seat",
      ));

    it("an unknown legal seat", () =>
      rejects(
        { country: "NO", provider: "nordhost", legalSeat: "QQ" },
        'placement.legalSeat: "QQ" is not a known country code; it must be an ISO 3166-1 alpha-2 code such as "NO"',
      ));

    it("a legal seat that contradicts the catalogue (no way to move AWS to Ireland)", () =>
      rejects(
        { country: "IE", provider: "aws", legalSeat: "IE" },
        'placement.legalSeat: is "IE", but Amazon Web Services has its legal seat in the United States (US); ' +
          "leave legalSeat out for a provider of the catalogue",
      ));

    it("an unknown AWS region, listing some", () =>
      rejects(
        { provider: "aws", region: "eu-norht-1" },
        'placement.region: "eu-norht-1" is not an AWS region; use one such as eu-central-1, eu-central-2, ' +
          "eu-north-1, eu-south-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3 (34 commercial regions are known)",
      ));

    it("an AWS region in another country than the one given", () =>
      rejects(
        { country: "NO", provider: "aws", region: "eu-north-1" },
        'placement.country: is "NO", but AWS region eu-north-1 (Stockholm) is in Sweden (SE); ' +
          'set country "SE" or leave it out',
      ));

    it("a region that is not a Kubernetes label value", () => {
      const reason =
        'is not a valid Kubernetes label value; use up to 63 letters, digits, "-", "_" or ".", ' +
        'starting and ending with a letter or digit, e.g. "no-oslo-1"';
      rejects(
        { country: "NO", provider: "coolvds", region: "Oslo 1" },
        `placement.region: "Oslo 1" ${reason}`,
      );
      rejects({ country: "NO", provider: "coolvds", region: "-oslo" }, `placement.region: "-oslo" ${reason}`);
      rejects({ country: "NO", provider: "coolvds", region: "" }, `placement.region: "" ${reason}`);
      const long = "a".repeat(64);
      rejects({ country: "NO", provider: "coolvds", region: long }, `placement.region: "${long}" ${reason}`);
      assert.strictEqual(
        resolvePlacement({ country: "NO", provider: "coolvds", region: "a".repeat(63) }).region?.length,
        63,
      );
    });

    it("values that are not strings, and unknown settings", () => {
      rejects({ country: 47, provider: "coolvds" }, "placement.country: must be a string, not 47");
      rejects(
        { country: "NO", provider: "coolvds", city: "Oslo" },
        "placement.city: is not a placement setting; use country, provider, region, site, legalSeat",
      );
    });

    it("a placement that is not an object", () => {
      rejects("NO", "placement: must be an object with country, provider, region, site, legalSeat");
      rejects(undefined, "placement: must be an object with country, provider, region, site, legalSeat");
    });

    it("every problem at once, in the order of the settings, under the given path", () =>
      rejects(
        { country: "XX", provider: "nordhost", region: "Oslo 1", legalSeat: "QQ" },
        "fortress:nodes[0].placement has 3 invalid inputs:\n" +
          '  - fortress:nodes[0].placement.country: "XX" is not a known country code; it must be an ISO 3166-1 ' +
          'alpha-2 code such as "NO"\n' +
          '  - fortress:nodes[0].placement.region: "Oslo 1" is not a valid Kubernetes label value; use up to 63 ' +
          'letters, digits, "-", "_" or ".", starting and ending with a letter or digit, e.g. "no-oslo-1"\n' +
          '  - fortress:nodes[0].placement.legalSeat: "QQ" is not a known country code; it must be an ISO 3166-1 ' +
          'alpha-2 code such as "NO"',
        "fortress:nodes[0].placement",
      ));

    it("as an InputPropertyError naming the first property, for the engine", () => {
      try {
        resolvePlacement({ country: "NO", provider: "aws", region: "eu-north-1" });
        assert.fail("expected an error");
      } catch (e) {
        assert.ok(pulumi.InputPropertyError.isInstance(e));
        assert.strictEqual(e.propertyPath, "placement.country");
      }
    });
  });

  it("checkPlacement records the problems in the caller's list instead of throwing", () => {
    const problems = new InputProblems();
    problems.add("existing.port", "bad");
    assert.strictEqual(checkPlacement(problems, { country: "XX", provider: "foo" }), undefined);
    assert.deepStrictEqual(
      problems.list.map((p) => p.propertyPath),
      ["existing.port", "placement.country", "placement.provider"],
    );
    const fine = new InputProblems();
    assert.strictEqual(checkPlacement(fine, { country: "NO", provider: "coolvds" })?.country, "NO");
    assert.deepStrictEqual(fine.list, []);
  });

  it("throws nothing but a FortressInputError, whatever the input (property)", () => {
    const text = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom("NO", "aws", "eu-north-1", "US", "coolvds"),
    );
    const anyValue = fc.oneof(text, fc.integer(), fc.constant(null), fc.constant(undefined), fc.boolean());
    fc.assert(
      fc.property(
        fc.record(
          { country: anyValue, provider: anyValue, region: anyValue, site: anyValue, legalSeat: anyValue },
          { requiredKeys: [] },
        ),
        (p) => {
          try {
            const r = resolvePlacement(p as Placement);
            assert.match(r.country, /^[A-Z]{2}$/);
            assert.match(r.jurisdiction, /^[a-z]{2}$/);
          } catch (e) {
            assert.ok(e instanceof FortressInputError, String(e));
          }
        },
      ),
    );
  });
});
