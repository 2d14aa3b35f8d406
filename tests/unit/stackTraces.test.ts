import * as assert from "assert";
import { withStackTraces } from "../../sdk/testing/stackTraces";

/** The hook that formats stacks (ts-node's source-map-support here), compared, never called. */
const hook = () => (Error as { prepareStackTrace?: unknown }).prepareStackTrace;

const frames = () => (new Error("x").stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).length;

describe("stack traces while a stack is evaluated (sdk/testing/stackTraces.ts)", () => {
  it("off: errors made meanwhile carry no frames; the process's setting is back afterwards, also after a throw", async () => {
    const limit = Error.stackTraceLimit;
    assert.ok(frames() > 0, "this test needs frames to start with");
    assert.strictEqual(await withStackTraces("off", () => Promise.resolve(frames())), 0);
    await assert.rejects(
      withStackTraces("off", () => Promise.reject(new Error("boom"))),
      /boom/,
    );
    assert.strictEqual(Error.stackTraceLimit, limit);
    assert.ok(frames() > 0);
  });

  it("unmapped: frames as V8 formats them, the source-map hook put back afterwards", async () => {
    const prepare = hook();
    assert.strictEqual(typeof prepare, "function", "this test needs ts-node's source-map hook");
    const seen = await withStackTraces("unmapped", () => Promise.resolve([hook(), frames()] as const));
    assert.strictEqual(seen[0], undefined);
    assert.ok(seen[1] > 0);
    assert.strictEqual(hook(), prepare);
  });
});
