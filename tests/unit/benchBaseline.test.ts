// The bench's fair baseline (tests/bench/workloads.ts) is only a baseline if it registers what the
// real run registered: the same types and inputs, secrets still secret, under the same parents,
// and each component's outputs with resource references pointing at the baseline's own resources.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { recordDependencies, registeredOutputs } from "../../sdk/testing/dependencies";
import { RecordedResource } from "../../sdk/testing/mocks";
import { fair, meshOf, payloads } from "../bench/workloads";
import { mocks } from "./setup";

const { specialSigKey, specialResourceSig, specialSecretSig } = pulumi.runtime;

/** Outputs as compared: a resource reference is the name it has in its run, without the run's prefix. */
function comparable(v: unknown, unprefix: (urn: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => comparable(x, unprefix));
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o[specialSigKey] === specialResourceSig) return { reference: unprefix(String(o.urn)) };
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, comparable(x, unprefix)]));
}

describe("the bench's fair baseline", function () {
  this.timeout(60_000);
  beforeEach(() => mocks.reset());

  it("registers the real run's resources again: types, inputs, secrets, parents and component outputs", async () => {
    const graph = recordDependencies();
    graph.length = 0;
    const real: RecordedResource[] = await meshOf(mocks, 3, "fb");
    const realGraph = [...graph];
    const what = payloads(real, realGraph);
    // Each run starts from an empty monitor: what the real run registered is read before the next.
    const realOutputs = new Map(realGraph.map((n) => [n.urn, registeredOutputs(n.urn)]));
    graph.length = 0;
    await fair(mocks, what, "fbf");
    const baseline = [...mocks.resources];
    const baselineGraph = [...graph];

    assert.strictEqual(baseline.length, real.length);
    // The baseline names resource i `fbf-${i}-${its real name}`.
    const realName = (name: string) => name.replace(/^fbf-\d+-/, "");
    const unprefix = (urn: string) => realName(urn.slice(urn.lastIndexOf("::") + 2));
    const realByName = new Map(real.map((r) => [r.name, r]));
    for (const b of baseline) {
      const r = realByName.get(realName(b.name));
      assert.ok(r, `${b.name} is in the real run`);
      assert.strictEqual(b.type, r.type);
      assert.deepStrictEqual(b.inputs, r.inputs, `inputs of ${r.name}`);
      assert.deepStrictEqual(b.secretInputs, r.secretInputs, `secret inputs of ${r.name}`);
    }
    const parentOf = (nodes: typeof graph, name: (n: string) => string) =>
      new Map(nodes.map((n) => [name(n.name), n.parent ? unprefix(n.parent) : undefined]));
    assert.deepStrictEqual(
      parentOf(baselineGraph, realName),
      parentOf(realGraph, (n) => n),
    );

    const components = realGraph.filter((n) => !n.custom);
    assert.ok(components.length >= 4, "three KvmNodes and a mesh");
    for (const c of components) {
      const copy = baselineGraph.find((n) => realName(n.name) === c.name)!;
      const outputs = realOutputs.get(c.urn);
      assert.ok(outputs && Object.keys(outputs).length > 0, `${c.name} registered outputs`);
      assert.deepStrictEqual(
        comparable(registeredOutputs(copy.urn), unprefix),
        comparable(outputs, unprefix),
        `outputs of ${c.name}`,
      );
    }
    // KvmNode's outputs hold a resource reference (its `ready` step) and a secret (its connection).
    const node = JSON.stringify(
      realOutputs.get(components.find((c) => c.type === "fortress:index:KvmNode")!.urn),
    );
    assert.ok(node.includes(specialResourceSig) && node.includes(specialSecretSig), node);
  });
});
