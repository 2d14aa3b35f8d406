import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PolicyResource } from "@pulumi/policy";
import { fortressPolicies } from "../../sdk/policy/policies";
import { FakeResource, SCENARIOS } from "./policyScenarios";

/** Runs every policy of the pack over the resources, as the engine would, and collects what they report. */
function runPack(resources: FakeResource[], config: Record<string, unknown> = {}): string[] {
  const found: string[] = [];
  const policyResources = resources.map(
    (r) =>
      ({
        type: r.type,
        name: r.name,
        urn: `urn:pulumi:test::fortress::${r.type}::${r.name}`,
        props: r.props,
        opts: {},
        provider: r.providerRegion
          ? { type: "pulumi:providers:aws", name: "default", urn: "", props: { region: r.providerRegion } }
          : undefined,
      }) as unknown as PolicyResource,
  );
  for (const policy of fortressPolicies) {
    void policy.validateStack(
      {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => config as T,
      } as never,
      (message: string, urn?: string) =>
        found.push(`${policy.name} [${(urn ?? "").split("::").pop()}] ${message}`),
    );
  }
  return found;
}

// The exact messages, reviewed by a person; rewrite only on purpose: UPDATE_GOLDEN=1 npm run test:unit
const GOLDEN = path.join(__dirname, "../golden/policy-violations.json");
const golden = fs.existsSync(GOLDEN)
  ? (JSON.parse(fs.readFileSync(GOLDEN, "utf8")) as Record<string, string[]>)
  : {};

describe("the policy pack", () => {
  after(() => {
    if (process.env.UPDATE_GOLDEN === "1") {
      const all = Object.fromEntries(SCENARIOS.map((s) => [s.name, runPack(s.violating)]));
      fs.writeFileSync(GOLDEN, JSON.stringify(all, null, 2) + "\n");
    }
  });

  it("has a policy per residency rule and one for the classification tag", () => {
    assert.deepStrictEqual(
      fortressPolicies.map((p) => p.name),
      [
        "fortress-personal-data-location",
        "fortress-foreign-jurisdiction",
        "fortress-processing-location",
        "fortress-workload-affinity",
        "fortress-replication-target",
        "fortress-flow-outside-mesh",
        "fortress-control-plane-location",
        "fortress-unknown-node",
        "fortress-data-classification-tag",
      ],
    );
  });

  it(`has at least twenty scenarios (${SCENARIOS.length}), each with its golden messages`, () => {
    assert.ok(SCENARIOS.length >= 20);
    assert.deepStrictEqual(Object.keys(golden).sort(), SCENARIOS.map((s) => s.name).sort());
  });

  it("follows the stack's allowed countries", () => {
    const bucket = {
      type: "aws:s3/bucketV2:BucketV2",
      name: "b",
      props: { region: "eu-north-1", tags: { "data-classification": "personal" } },
    };
    const found = runPack([bucket], { allowedCountries: ["NO", "SE"] });
    assert.deepStrictEqual(
      found.map((f) => f.split(" ")[0]),
      ["fortress-foreign-jurisdiction"],
    );
  });

  for (const s of SCENARIOS) {
    it(`catches: ${s.name}`, () => {
      const found = runPack(s.violating);
      assert.ok(found.length > 0, "nothing reported");
      if (process.env.UPDATE_GOLDEN !== "1") assert.deepStrictEqual(found, golden[s.name]);
    });
    it(`passes the compliant twin: ${s.name}`, () => assert.deepStrictEqual(runPack(s.compliant), []));
  }
});
