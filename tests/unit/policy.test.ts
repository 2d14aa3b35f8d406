import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { ALL_SCENARIOS as SCENARIOS, NEW_SCENARIO_COUNT } from "./policyScenarioList";
import { fortressPolicies } from "../../sdk/policy/policies";
import { runPack } from "./packHarness";

// The exact messages, reviewed by a person; rewrite only on purpose: UPDATE_GOLDEN=1 npm run test:unit
const GOLDEN = path.join(__dirname, "../golden/policy-violations.json");
const golden = fs.existsSync(GOLDEN)
  ? (JSON.parse(fs.readFileSync(GOLDEN, "utf8")) as Record<string, string[]>)
  : {};

describe("the policy pack", () => {
  after(async () => {
    if (process.env.UPDATE_GOLDEN === "1") {
      const all: Record<string, string[]> = {};
      for (const s of SCENARIOS) all[s.name] = await runPack(s.violating, s.config);
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
        "fortress-unclassified-resource",
        "fortress-residency-before-create",
      ],
    );
  });

  it(`has the first 22 scenarios and at least 40 new ones (${NEW_SCENARIO_COUNT}), each with its golden messages`, () => {
    assert.ok(SCENARIOS.length - NEW_SCENARIO_COUNT >= 22);
    assert.ok(NEW_SCENARIO_COUNT >= 40);
    assert.deepStrictEqual(Object.keys(golden).sort(), SCENARIOS.map((s) => s.name).sort());
  });

  it("follows the stack's allowed countries", async () => {
    const bucket = {
      type: "aws:s3/bucketV2:BucketV2",
      name: "b",
      inputs: { region: "eu-north-1", tags: { "data-classification": "personal" } },
    };
    const found = await runPack([bucket], { allowedCountries: ["NO", "SE"] });
    assert.deepStrictEqual(
      found.map((f) => f.split(" ")[0]),
      ["fortress-foreign-jurisdiction", "fortress-residency-before-create"],
    );
  });

  for (const s of SCENARIOS) {
    it(`catches: ${s.name}`, async () => {
      const found = await runPack(s.violating, s.config);
      assert.ok(found.length > 0, "nothing reported");
      if (process.env.UPDATE_GOLDEN !== "1") assert.deepStrictEqual(found, golden[s.name]);
    });
    it(`passes the compliant twin: ${s.name}`, async () =>
      assert.deepStrictEqual(await runPack(s.compliant, s.config), []));
  }
});
