import * as assert from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { FortressInputError, InputProblems } from "../../sdk/errors";
import {
  DataClass,
  Placement,
  ResolvedPlacement,
  awsRegions,
  checkPlacement,
  cloudProviders,
  countries,
  findCloudProvider,
  findCountry,
  parseDataClass,
  placementLabels,
  resolvePlacement,
} from "../../sdk/residency";

const EEA_CODES = [
  ...["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"],
  ...["IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"],
  ...["NO", "IS", "LI"],
];
const LABEL_VALUE = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;
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

describe("residency catalogue", () => {
  it("has every EEA country (EU 27, Norway, Iceland, Liechtenstein) and no other as EEA", () => {
    assert.strictEqual(EEA_CODES.length, 30);
    for (const code of EEA_CODES) {
      assert.ok(countries[code], `missing ${code}`);
      assert.strictEqual(countries[code].eea, true, code);
      assert.strictEqual(countries[code].adequacy, "eea", code);
    }
    const eea = Object.values(countries).filter((c) => c.eea);
    assert.deepStrictEqual(eea.map((c) => c.code).sort(), [...EEA_CODES].sort());
  });

  it("keys every country by its upper-case ISO 3166-1 alpha-2 code, with a name", () => {
    for (const [key, c] of Object.entries(countries)) {
      assert.match(key, /^[A-Z]{2}$/);
      assert.strictEqual(c.code, key);
      assert.ok(c.name.length > 2, key);
      assert.strictEqual(c.eea, c.adequacy === "eea", key);
    }
  });

  it("records the EU adequacy decisions, partial ones included", () => {
    const adequacy = (codes: string[]) => codes.map((c) => countries[c].adequacy);
    const full = ["CH", "GB", "JP", "KR", "IL", "NZ", "AR", "UY", "AD", "FO", "GG", "JE", "IM"];
    assert.deepStrictEqual(
      adequacy(full),
      full.map(() => "full"),
    );
    assert.deepStrictEqual(adequacy(["CA", "US"]), ["partial", "partial"]);
    assert.deepStrictEqual(adequacy(["AU", "SG", "IN", "BR", "ZA", "AE", "BH", "ID", "HK", "MX", "CN"]), [
      ...Array<string>(11).fill("none"),
    ]);
  });

  it("puts the US CLOUD Act on the United States and no law on any other country", () => {
    assert.deepStrictEqual(countries.US.foreignAccessLaws, ["US CLOUD Act"]);
    const others = Object.values(countries).filter((c) => c.code !== "US" && c.foreignAccessLaws.length > 0);
    assert.deepStrictEqual(others, []);
  });

  it("has every provider keyed by its lower-case id, with its legal seat in the catalogue", () => {
    for (const [id, p] of Object.entries(cloudProviders)) {
      assert.match(id, /^[a-z0-9]+$/);
      assert.strictEqual(p.id, id);
      assert.ok(countries[p.legalSeat], `${id}: seat ${p.legalSeat}`);
    }
    const seats = Object.fromEntries(Object.values(cloudProviders).map((p) => [p.id, p.legalSeat]));
    assert.deepStrictEqual(seats, {
      akamai: "US",
      aws: "US",
      azure: "US",
      binero: "SE",
      coolvds: "NO",
      digitalocean: "US",
      elastx: "SE",
      exoscale: "CH",
      gcp: "US",
      hetzner: "DE",
      infomaniak: "CH",
      ionos: "DE",
      leaseweb: "NL",
      oracle: "US",
      ovhcloud: "FR",
      safespring: "SE",
      scaleway: "FR",
      upcloud: "FI",
      vultr: "US",
    });
  });

  it("maps every AWS region to a known country, and the region names are label values", () => {
    for (const [region, r] of Object.entries(awsRegions)) {
      assert.ok(countries[r.country], `${region}: ${r.country}`);
      assert.match(region, LABEL_VALUE);
    }
    const expected: Record<string, string> = {
      "us-east-1": "US",
      "eu-north-1": "SE",
      "eu-central-1": "DE",
      "eu-central-2": "CH",
      "eu-west-1": "IE",
      "eu-west-2": "GB",
      "eu-west-3": "FR",
      "eu-south-1": "IT",
      "eu-south-2": "ES",
      "me-central-1": "AE",
      "il-central-1": "IL",
      "ca-central-1": "CA",
      "sa-east-1": "BR",
      "af-south-1": "ZA",
      "mx-central-1": "MX",
      "ap-northeast-1": "JP",
      "ap-southeast-2": "AU",
    };
    for (const [region, country] of Object.entries(expected))
      assert.strictEqual(awsRegions[region].country, country);
  });

  it("finds countries and providers in any case, and knows Linode as Akamai", () => {
    assert.strictEqual(findCountry(" no ")?.name, "Norway");
    assert.strictEqual(findCountry("toString"), undefined);
    assert.strictEqual(findCloudProvider("CoolVDS")?.id, "coolvds");
    assert.strictEqual(findCloudProvider("linode")?.id, "akamai");
    assert.strictEqual(findCloudProvider("constructor"), undefined);
  });
});

describe("data classes", () => {
  it("are personal, special, internal and public", () => {
    assert.deepStrictEqual(Object.values(DataClass), ["personal", "special", "internal", "public"]);
  });

  it("parse from plain input in any case", () => {
    assert.strictEqual(parseDataClass("personal", "x"), DataClass.Personal);
    assert.strictEqual(parseDataClass(" Special ", "x"), DataClass.Special);
  });

  it("reject anything else with the valid classes", () => {
    assert.throws(() => parseDataClass("secret", "dataStores[0].dataClass"), {
      name: "FortressInputError",
      message:
        'dataStores[0].dataClass: "secret" is not a data class; use one of personal, special, internal, public ' +
        "(special is GDPR article 9 data)",
    });
    assert.throws(() => parseDataClass(undefined, "dataClass"), {
      message:
        "dataClass: undefined is not a data class; use one of personal, special, internal, public " +
        "(special is GDPR article 9 data)",
    });
    assert.throws(() => parseDataClass(3, "dataClass"), { message: /^dataClass: 3 is not a data class;/ });
  });
});

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

describe("placementLabels", () => {
  const labels = (p: Placement) => placementLabels(resolvePlacement(p));

  it("labels a Norwegian CoolVDS node region=no, with its region and jurisdiction", () => {
    assert.deepStrictEqual(labels({ country: "NO", provider: "coolvds", region: "no-oslo-1" }), {
      region: "no",
      "topology.kubernetes.io/region": "no-oslo-1",
      "fortress.io/jurisdiction": "no",
    });
  });

  it("uses the country code as topology region when there is no region", () => {
    assert.deepStrictEqual(labels({ country: "NO", provider: "coolvds" }), {
      region: "no",
      "topology.kubernetes.io/region": "no",
      "fortress.io/jurisdiction": "no",
    });
  });

  it("labels an AWS node global, under US jurisdiction", () => {
    assert.deepStrictEqual(labels({ provider: "aws", region: "eu-north-1" }), {
      region: "global",
      "topology.kubernetes.io/region": "eu-north-1",
      "fortress.io/jurisdiction": "us",
    });
  });

  it("labels a US provider's node in Norway global: the CLOUD Act reaches it", () => {
    assert.deepStrictEqual(labels({ country: "NO", provider: "azure", region: "norwayeast" }), {
      region: "global",
      "topology.kubernetes.io/region": "norwayeast",
      "fortress.io/jurisdiction": "us",
    });
  });

  it("labels a European provider's node outside Norway global", () => {
    assert.deepStrictEqual(labels({ country: "DE", provider: "hetzner", region: "fsn1" }), {
      region: "global",
      "topology.kubernetes.io/region": "fsn1",
      "fortress.io/jurisdiction": "de",
    });
  });

  it("labels a Swiss provider's node in Norway region=no", () => {
    assert.deepStrictEqual(labels({ country: "NO", provider: "exoscale" }), {
      region: "no",
      "topology.kubernetes.io/region": "no",
      "fortress.io/jurisdiction": "ch",
    });
  });

  it("gives only valid label values for any catalogue placement (property)", () => {
    const regionArb = fc.stringMatching(LABEL_VALUE);
    const placementArb = fc.oneof(
      fc.constantFrom(...Object.keys(awsRegions)).map((region): Placement => ({ provider: "aws", region })),
      fc
        .tuple(
          fc.constantFrom(...Object.keys(countries)),
          fc.constantFrom(...Object.keys(cloudProviders).filter((id) => id !== "aws")),
          fc.option(regionArb, { nil: undefined }),
        )
        .map(([country, provider, region]): Placement => ({ country, provider, region })),
    );
    fc.assert(
      fc.property(placementArb, (p) => {
        const l = placementLabels(resolvePlacement(p));
        assert.deepStrictEqual(Object.keys(l), [
          "region",
          "topology.kubernetes.io/region",
          "fortress.io/jurisdiction",
        ]);
        for (const value of Object.values(l)) assert.match(value, LABEL_VALUE);
        assert.ok(l.region === "no" || l.region === "global");
      }),
    );
  });
});
