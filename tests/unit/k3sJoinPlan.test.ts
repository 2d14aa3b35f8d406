// The first deployment of a whole stack (nodes, mesh, k3s) with 3 servers and 100 agents, as the
// stack program builds it: the longest chain of commands the engine must run one after another.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { fortressProgram } from "../../stacks/program";
import { criticalPath } from "../../sdk/graph";
import { commandGraph, recordDependencies } from "../../sdk/testing/dependencies";
import { mocks } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nam9pbi1wbGFu\n-----END OPENSSH PRIVATE KEY-----\n";
const SERVERS = ["osl-1", "osl-2", "osl-3"];
const AGENTS = Array.from({ length: 100 }, (_, i) => `agent-${String(i + 1).padStart(3, "0")}`);

describe("the first deployment of 3 servers and 100 agents (whole stack program)", function () {
  this.timeout(180000);
  /** The longest chain of commands, by name, and the commands each command waits for (through other resources too). */
  let graph: { criticalPath: string[]; waitsFor: Map<string, Set<string>> };

  before(async () => {
    mocks.reset();
    const names = [...SERVERS, ...AGENTS];
    pulumi.runtime.setAllConfig(
      {
        "fortress:sshPrivateKey": KEY,
        "fortress:nodes": JSON.stringify(
          names.map((name, i) => ({
            name,
            placement: { country: "NO", provider: "coolvds", region: "no-oslo-1" },
            existing: { host: `198.18.0.${i + 1}` },
          })),
        ),
        "fortress:mesh": JSON.stringify({
          addresses: Object.fromEntries(names.map((n, i) => [n, `10.100.0.${i + 1}`])),
        }),
        "fortress:k3s": JSON.stringify({ servers: SERVERS, agents: AGENTS }),
      },
      ["fortress:sshPrivateKey"],
    );
    const recorded = recordDependencies();
    recorded.length = 0;
    const out = fortressProgram(new pulumi.Config("fortress"));
    await valueOf(out.kubeconfig!);
    await settle();
    const nodes = [...recorded];
    recorded.length = 0;
    const nameOf = (urn: string) => urn.split("::").pop()!;
    const byUrn = new Map(nodes.map((n) => [n.urn, n]));
    const behind = new Map<string, Set<string>>();
    const commandsBehind = (urn: string): Set<string> => {
      const known = behind.get(urn);
      if (known) return known;
      const found = new Set<string>();
      behind.set(urn, found);
      for (const d of byUrn.get(urn)?.dependsOn ?? []) {
        if (byUrn.get(d)?.type === "command:remote:Command") found.add(nameOf(d));
        else for (const c of commandsBehind(d)) found.add(c);
      }
      return found;
    };
    graph = {
      criticalPath: criticalPath(commandGraph(nodes)).path.map(nameOf),
      waitsFor: new Map(
        nodes.filter((n) => n.type === "command:remote:Command").map((n) => [n.name, commandsBehind(n.urn)]),
      ),
    };
  });
  after(() => mocks.reset());

  it("has at most 11 commands on its critical path: baseline, firewall, mesh key, mesh, k3s firewall, 3 server starts, kubeconfig", () => {
    const path = graph.criticalPath;
    console.log(`      critical path, 3 servers + 100 agents: ${path.length} commands: ${path.join(" > ")}`);
    assert.strictEqual(path.length, 9, path.join(" > "));
    assert.ok(path.length <= 11);
    assert.match(path[0], /-baseline$/);
    assert.match(path[1], /-firewall-confirm$/);
    assert.match(path[2], /^mesh-.*-key$/);
    assert.match(path[3], /^mesh-.*-config$/);
    assert.deepStrictEqual(path.slice(4), [
      "k3s-osl-1-firewall",
      "k3s-osl-1-configure",
      "k3s-osl-2-configure",
      "k3s-osl-3-configure",
      "k3s-kubeconfig",
    ]);
  });

  it("starts every agent after the first server only: no agent waits for another agent", () => {
    const k3sAgentStep = /^k3s-(agent-\d{3})-/;
    for (const agent of AGENTS) {
      const seen = new Set<string>();
      const visit = (c: string) => {
        for (const d of graph.waitsFor.get(c) ?? []) {
          if (seen.has(d)) continue;
          seen.add(d);
          visit(d);
        }
      };
      visit(`k3s-${agent}-configure`);
      const others = [...seen].filter((c) => k3sAgentStep.exec(c)?.[1] !== undefined && !c.includes(agent));
      assert.deepStrictEqual(others, [], `${agent} waits for other agents`);
      const servers = [...(graph.waitsFor.get(`k3s-${agent}-configure`) ?? [])].filter((c) =>
        /^k3s-osl-\d-configure$/.test(c),
      );
      assert.deepStrictEqual(servers, ["k3s-osl-1-configure"], agent);
    }
  });

  it("waits for the mesh only where it uses it: on the node itself, and on the server it joins", () => {
    const meshSteps = (step: string) =>
      [...(graph.waitsFor.get(step) ?? [])].filter((c) => /^mesh-.*-config$/.test(c)).sort();
    for (const agent of AGENTS) {
      assert.deepStrictEqual(meshSteps(`k3s-${agent}-configure`), [
        `mesh-${agent}-config`,
        "mesh-osl-1-config",
      ]);
      assert.deepStrictEqual(meshSteps(`k3s-${agent}-firewall`), [`mesh-${agent}-config`]);
    }
    assert.deepStrictEqual(meshSteps("k3s-osl-1-configure"), ["mesh-osl-1-config"]);
    assert.deepStrictEqual(meshSteps("k3s-osl-3-configure"), ["mesh-osl-1-config", "mesh-osl-3-config"]);
  });

  it("installs k3s on every node right after the host's own preparation, not after the mesh", () => {
    for (const n of [...SERVERS, ...AGENTS])
      assert.deepStrictEqual(
        [...(graph.waitsFor.get(`k3s-${n}-install`) ?? [])],
        [`${n}-firewall-confirm`],
        n,
      );
  });
});
