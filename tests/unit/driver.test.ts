// The driver's command line and its closing line (stacks/driver.ts): pure, no CLI needed.
import * as assert from "assert";
import * as path from "node:path";
import { parseDriverArgs } from "../../stacks/driver";
import { POLICY_PACK_DIR, providerPlugins, summaryLine } from "../../stacks/engine";

describe("the stack driver", () => {
  it("runs an operation on a stack with the residency pack by default", () => {
    assert.deepStrictEqual(parseDriverArgs(["up", "lab"]), {
      op: "up",
      stack: "lab",
      policyPacks: [POLICY_PACK_DIR],
      policyPackConfigs: [],
      showSecrets: false,
      expectNoChanges: false,
    });
  });

  it("takes more packs and their configs as the CLI does, and can leave the default out", () => {
    const a = parseDriverArgs([
      "preview",
      "prod",
      "--no-default-policy-pack",
      "--policy-pack",
      "packs/mine",
      "--policy-pack-config",
      "packs/mine.json",
      "--expect-no-changes",
    ]);
    assert.deepStrictEqual(a.policyPacks, [path.resolve("packs/mine")]);
    assert.deepStrictEqual(a.policyPackConfigs, [path.resolve("packs/mine.json")]);
    assert.strictEqual(a.expectNoChanges, true);
  });

  it("refuses what it does not know, with the usage", () => {
    assert.throws(
      () => parseDriverArgs(["apply", "lab"]),
      /^Error: unknown operation "apply"\nusage: npm run/,
    );
    assert.throws(() => parseDriverArgs(["up"]), /^Error: which stack\?\nusage:/);
    assert.throws(
      () => parseDriverArgs(["up", "lab", "--yes"]),
      /^Error: unexpected argument "--yes"\nusage:/,
    );
    assert.throws(
      () => parseDriverArgs(["up", "lab", "--policy-pack"]),
      /^Error: --policy-pack needs a value\n/,
    );
    assert.throws(() => parseDriverArgs(["up", "lab/../x"]), /^Error: "lab\/..\/x" is not a stack name\n/);
  });

  it("ends with one line of counts and seconds", () => {
    assert.strictEqual(
      summaryLine("up", "lab", { create: 40, same: 2 }, 26.14),
      "up lab: created 40, updated 0, replaced 0, deleted 0, unchanged 2 in 26.1 s",
    );
  });

  it("asks for each plugin at the version its npm SDK was built for", () => {
    const plugins = Object.fromEntries(providerPlugins().map((p) => [p.name, p.version]));
    assert.strictEqual(plugins.command, "1.2.1");
    assert.deepStrictEqual(Object.keys(plugins).sort(), ["aws", "command", "kubernetes", "random", "tls"]);
  });
});
