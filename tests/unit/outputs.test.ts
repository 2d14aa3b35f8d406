import * as assert from "assert";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { combine, combineOutput, combineRecord, eventually, whenKnown } from "../../sdk/outputs";
import { recordDependencies } from "../../sdk/testing/dependencies";
import { isSecret, settle, valueOf } from "../../sdk/testing/mocks";
import { mocks } from "./setup";

const CONNECTION = { port: 22, user: "root", privateKey: "k", dialErrorLimit: 1, perDialTimeout: 1 };
/** An Output whose value is not known, as in a preview before its resource exists. */
const unknownOutput = (): pulumi.Output<string> => pulumi.output(pulumi.unknown as unknown as string);

describe("Output plumbing (sdk/outputs.ts)", () => {
  beforeEach(() => mocks.reset());

  it("keeps plain data plain: nothing to wait for makes no Output", () => {
    assert.strictEqual(
      combine(["a", 1, true, { b: ["c"] }], ([a, n, t, o]) => `${a}${n}${t}${o.b[0]}`),
      "a1truec",
    );
    assert.strictEqual(
      whenKnown("x", (v) => v.length),
      1,
    );
    const data = { a: [1, { b: "c" }] };
    assert.strictEqual(eventually(data), data);
    const out = pulumi.output("o");
    assert.strictEqual(eventually(out), out);
  });

  it("waits for Outputs, also inside objects, as pulumi.all does", async () => {
    const combined = combine(
      [pulumi.output("a"), "b", { c: pulumi.output("c") }, Promise.resolve("d")],
      ([a, b, o, d]) => `${a}${b}${o.c}${d}`,
    );
    assert.ok(pulumi.Output.isInstance(combined));
    assert.strictEqual(await valueOf(combined), "abcd");
    assert.ok(pulumi.Output.isInstance(eventually({ c: pulumi.output("c") })));
    assert.deepStrictEqual(await valueOf(combineRecord({ x: pulumi.output(1), y: 2 })), { x: 1, y: 2 });
    assert.strictEqual(await valueOf(combineOutput(["plain"], ([p]) => p)), "plain");
  });

  it("keeps a secret secret, whichever input held it", async () => {
    for (const at of [0, 1, 2]) {
      const inputs = ["a", "b", "c"].map((v, i) => (i === at ? pulumi.secret(v) : pulumi.output(v)));
      const out = combineOutput([inputs[0], inputs[1], inputs[2]], (v) => v.join(""));
      assert.strictEqual(await isSecret(out), true, `secret at ${at}`);
      assert.strictEqual(await valueOf(out), "abc");
    }
    assert.strictEqual(await isSecret(combineRecord({ a: "x", b: pulumi.secret("y") })), true);
    assert.strictEqual(await isSecret(combineOutput([pulumi.output("a")], ([a]) => a)), false);
  });

  it("does not run the function on an unknown input, and the result is unknown", async () => {
    let ran = false;
    const out = combineOutput([pulumi.output("a"), unknownOutput()], () => {
      ran = true;
      return "x";
    });
    assert.strictEqual(await (out as unknown as { isKnown: Promise<boolean> }).isKnown, false);
    assert.strictEqual(ran, false);
  });

  it("carries the resources it waited for, so a step using the result depends on them", async () => {
    const graph = recordDependencies();
    graph.length = 0;
    const connection = pulumi.secret({ host: "h", ...CONNECTION });
    const key = new remote.Command("out-key", { connection, create: "true" });
    const other = new remote.Command("out-other", { connection, create: "true" });
    const script = combine([key.stdout, "plain", other.stdout], ([a, , b]) => `${a}${b}`);
    const step = new remote.Command("out-step", { connection, create: script });
    await valueOf(step.urn);
    await settle();
    const deps = graph.find((n) => n.name === "out-step")!.dependsOn.map((u) => u.split("::").pop());
    assert.deepStrictEqual([...deps].sort(), ["out-key", "out-other"]);
  });
});
