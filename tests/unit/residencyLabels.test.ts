import * as assert from "assert";
import * as fc from "fast-check";
import {
  Placement,
  awsRegions,
  cloudProviders,
  countries,
  placementLabels,
  resolvePlacement,
} from "../../sdk/residency";
import { LABEL_VALUE } from "./residencyFixtures";

// placementLabels: the node labels a placement gives, which workloads' node affinity selects on.

describe("placementLabels", () => {
  /** Asserts the three labels a node at `p` carries, in KvmNode's order. */
  const assertLabels = (p: Placement, region: string, topologyRegion: string, jurisdiction: string) =>
    assert.deepStrictEqual(placementLabels(resolvePlacement(p)), {
      region,
      "topology.kubernetes.io/region": topologyRegion,
      "fortress.io/jurisdiction": jurisdiction,
    });

  it("labels a Norwegian CoolVDS node region=no, with its region and jurisdiction", () =>
    assertLabels({ country: "NO", provider: "coolvds", region: "no-oslo-1" }, "no", "no-oslo-1", "no"));

  it("uses the country code as topology region when there is no region", () =>
    assertLabels({ country: "NO", provider: "coolvds" }, "no", "no", "no"));

  it("labels an AWS node global, under US jurisdiction", () =>
    assertLabels({ provider: "aws", region: "eu-north-1" }, "global", "eu-north-1", "us"));

  it("labels a US provider's node in Norway global: the CLOUD Act reaches it", () =>
    assertLabels({ country: "NO", provider: "azure", region: "norwayeast" }, "global", "norwayeast", "us"));

  it("labels a European provider's node outside Norway global", () =>
    assertLabels({ country: "DE", provider: "hetzner", region: "fsn1" }, "global", "fsn1", "de"));

  it("labels a Swiss provider's node in Norway region=no", () =>
    assertLabels({ country: "NO", provider: "exoscale" }, "no", "no", "ch"));

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
