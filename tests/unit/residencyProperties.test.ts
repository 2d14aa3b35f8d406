import * as assert from "assert";
import * as fc from "fast-check";
import {
  DataClass,
  Deployment,
  EnforcementLevel,
  Placement,
  Workload,
  awsRegions,
  canHoldData,
  cloudProviders,
  countries,
  defaultResidencyPolicy,
  evaluateResidency,
  residencyRules,
  validateResidencyPolicy,
} from "../../sdk/residency";
import { node, store, flow } from "./residencyFixtures";

// Properties of the residency rules over every placement the catalogue can express.

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
