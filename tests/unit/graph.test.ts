import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GraphNode, criticalPath } from "../../sdk/graph";
import { commandGraph, recordDependencies } from "../../sdk/testing/dependencies";
import { settle } from "../../sdk/testing/mocks";
import { prodCriticalPath } from "../bench/workloads";
import { mocks } from "./setup";

const node = (id: string, dependsOn: string[] = [], weight = 1): GraphNode => ({ id, dependsOn, weight });

describe("critical path of a dependency graph", () => {
  it("is the heaviest chain, not the longest list nor the widest layer", () => {
    //   a -> b -> c -> d          (4 steps)
    //   a -> e(key, 0) -> f       (2 steps)
    //   g, h, i side by side      (1 step each)
    //   x(5 s) -> y               (6)
    const unit = criticalPath([
      node("d", ["c"]),
      node("c", ["b"]),
      node("b", ["a"]),
      node("a"),
      node("e", ["a"], 0),
      node("f", ["e", "g"]),
      node("g"),
      node("h"),
      node("i"),
    ]);
    assert.deepStrictEqual(unit, { weight: 4, path: ["a", "b", "c", "d"] });
    const timed = criticalPath([
      node("a"),
      node("b", ["a"]),
      node("c", ["b"]),
      node("x", [], 5),
      node("y", ["x"]),
    ]);
    assert.deepStrictEqual(timed, { weight: 6, path: ["x", "y"] });
  });

  it("leaves out weightless steps, counts a join once, and ignores ids outside the graph", () => {
    const found = criticalPath([
      node("key", [], 0),
      node("one", ["key", "provider-urn"]),
      node("two", ["key"]),
      node("join", ["one", "two"]),
    ]);
    assert.strictEqual(found.weight, 2);
    assert.strictEqual(found.path.length, 2);
    assert.strictEqual(found.path[1], "join");
    assert.deepStrictEqual(criticalPath([]), { weight: 0, path: [] });
  });

  it("handles a 20,000-step chain without overflowing the stack", () => {
    const chain = Array.from({ length: 20_000 }, (_, i) => node(`s${i}`, i ? [`s${i - 1}`] : []));
    assert.strictEqual(criticalPath(chain.reverse()).weight, 20_000);
  });

  it("refuses a cycle and two nodes with one id, naming them", () => {
    assert.throws(
      () => criticalPath([node("a", ["c"]), node("b", ["a"]), node("c", ["b"])]),
      /the graph has a cycle: a -> c -> b -> a/,
    );
    assert.throws(() => criticalPath([node("a"), node("a")]), /two nodes with id "a"/);
  });
});

class Step extends pulumi.CustomResource {
  constructor(name: string, inputs: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super("command:remote:Command", name, inputs, opts);
  }
}
class Group extends pulumi.ComponentResource {
  constructor(name: string, build: (parent: Group) => void) {
    super("test:index:Group", name, {});
    build(this);
    this.registerOutputs({});
  }
}

describe("the registered dependency graph (sdk/testing/dependencies.ts)", () => {
  beforeEach(() => mocks.reset());

  it("sees dependsOn, Outputs used as inputs, and a component as its children", async () => {
    const graph = recordDependencies();
    graph.length = 0;
    const first = new Step("g-first", { create: "true" });
    // Implicit: an output of `first` is an input.
    const second = new Step("g-second", { create: first.id.apply((id) => `echo ${id}`) });
    // Explicit, on a component: the engine waits for each of its children.
    const group = new Group("g-group", (parent) => {
      new Step("g-in-a", { create: "a" }, { parent, dependsOn: [second] });
      new Step("g-in-b", { create: "b" }, { parent });
    });
    new Step("g-last", { create: "true" }, { dependsOn: [group] });
    new Step("g-alone", { create: "true" });
    await settle();
    const found = criticalPath(commandGraph(graph));
    assert.deepStrictEqual(
      found.path.map((urn) => urn.split("::").pop()),
      ["g-first", "g-second", "g-in-a", "g-last"],
    );
  });
});

describe("the critical path npm run bench prints", function () {
  this.timeout(60_000);
  beforeEach(() => mocks.reset());

  // Pinned on purpose: a change to the join plan changes this chain, and whoever makes it updates
  // the figure here with the bench's, so the printed figure cannot drift unnoticed.
  it("for prod: every k3s node's install and configure in one line, after the first mesh link", async () => {
    const prod = await prodCriticalPath(mocks, 0);
    assert.deepStrictEqual(prod.path, [
      "osl-1-baseline",
      "osl-1-firewall-confirm",
      "mesh-osl-1-key",
      "mesh-osl-1-config",
      "k3s-osl-1-install",
      "k3s-osl-1-configure",
      "k3s-osl-2-install",
      "k3s-osl-2-configure",
      "k3s-osl-3-install",
      "k3s-osl-3-configure",
      "k3s-dr-1-install",
      "k3s-dr-1-configure",
      "k3s-fleet-1-install",
      "k3s-fleet-1-configure",
      "k3s-fleet-2-install",
      "k3s-fleet-2-configure",
      "k3s-kubeconfig",
    ]);
    assert.strictEqual(prod.weight, 17);
  });
});
