import * as assert from "assert";
import {
  DataClass,
  awsRegions,
  cloudProviders,
  countries,
  findCloudProvider,
  findCountry,
  parseDataClass,
} from "../../sdk/residency";
import { LABEL_VALUE } from "./residencyFixtures";

// The residency catalogue (countries, providers, AWS regions) and the data classes.

const EEA_CODES = [
  ...["AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE"],
  ...["IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"],
  ...["NO", "IS", "LI"],
];

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
