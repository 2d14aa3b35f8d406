// Runs the bad-input property test (badInput.property.ts) in a mocha process of its own, and checks
// its verdict and its figures.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as path from "path";

describe("bad input, at random (property, own process)", function () {
  this.timeout(600_000);

  it("every component and the stack config work or name the path of every problem", () => {
    const root = path.resolve(__dirname, "../..");
    const run = spawnSync(
      process.execPath,
      [
        require.resolve("mocha/bin/mocha.js"),
        "--no-config",
        "-r",
        "ts-node/register/transpile-only",
        "-r",
        "tests/unit/setup.ts",
        "--timeout",
        "300000",
        "tests/unit/badInput.property.ts",
      ],
      { cwd: root, encoding: "utf8" },
    );
    const out = `${run.stdout}\n${run.stderr}`;
    assert.strictEqual(run.status, 0, out);
    const figures = /bad input: (\d+) inputs tried, (\d+) clear errors, (\d+) accepted, 0 crashes/.exec(out);
    assert.ok(figures, out);
    const [tried, clear, accepted] = figures.slice(1).map(Number);
    console.log(`      ${figures[0]}`);
    assert.strictEqual(clear + accepted, tried);
    assert.ok(tried >= 300 && clear > tried * 0.8, figures[0]);
  });
});
