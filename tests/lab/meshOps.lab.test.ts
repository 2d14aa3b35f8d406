// WireGuardMesh day two on real hosts: a node's key rotated and a node removed while pings run,
// the packets lost counted. The scripts the components render, run over real SSH by the lab
// engine; a removed node's teardown runs as `pulumi up` would run it, after the update.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { deploy, engine } from "./engine";
import { labSuite } from "./suite";

const NAMES = ["alfa", "bravo", "charlie", "delta"];
/** Pings 0.2 s apart, as many as cover a deployment: at most 250 (50 s). */
const PINGS = 250;

describe("WireGuardMesh day two on the lab (key rotation, node removal)", function () {
  const { host, kvmNode } = labSuite(NAMES);
  function hostLayer(names: string[], keyGenerations: Record<string, number> = {}) {
    const nodes = names.map((n) => kvmNode(n));
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      addresses: { charlie: "10.100.0.254" },
      keyGenerations,
    });
    return { nodes, mesh };
  }
  const waitFor = (built: ReturnType<typeof hostLayer>) => [
    built.mesh.addresses,
    ...built.nodes.map((n) => built.mesh.appliedOn(n.nodeName).stdout),
  ];
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
  const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

  let addresses: Record<string, string> = {};
  const wgStartedAt = (name: string) =>
    host(name)
      .exec("systemctl show -p ActiveEnterTimestampMonotonic --value wg-quick@wg0")
      .then((r) => r.stdout.trim());
  /** Starts PINGS pings from `from` to `to` over the mesh, in the background, logged under `tag`. */
  const startPing = (tag: string, from: string, to: string) =>
    host(from).exec(`nohup ping -n -i 0.2 -c ${PINGS} ${addresses[to]} >/tmp/${tag}.log 2>&1 &`);
  /** Waits for the pings of `tag` to end and returns how many were lost. */
  async function lost(tag: string, from: string): Promise<number> {
    const out = (
      await host(from).exec(
        `timeout 90 bash -c 'while pgrep -x ping >/dev/null; do sleep 1; done'; cat /tmp/${tag}.log`,
      )
    ).stdout;
    const m = /(\d+) packets transmitted, (\d+) received/.exec(out);
    assert.ok(m, `no ping summary from ${from}: ${out}`);
    assert.strictEqual(Number(m[1]), PINGS);
    return Number(m[1]) - Number(m[2]);
  }
  async function pingAll(names: string[]): Promise<void> {
    for (const from of names)
      for (const to of names.filter((n) => n !== from)) {
        const r = await host(from).exec(`ping -c 2 -W 2 ${addresses[to]}`, { check: false });
        assert.strictEqual(r.code, 0, `${from} cannot ping ${to} over the mesh:\n${r.stdout}`);
      }
  }

  it("builds a mesh of four hosts", async () => {
    const start = Date.now();
    const built = await deploy(() => hostLayer(NAMES), waitFor);
    console.log(`    first deployment (4 nodes, mesh) in ${seconds(start)} s`);
    addresses = await value(built.mesh.addresses);
    await pingAll(NAMES);
  });

  it("key rotation of charlie: a new key on the host, peers learn it by wg syncconf, packets lost counted", async () => {
    const before = (await host("charlie").exec("wg show wg0 public-key")).stdout.trim();
    const started = await Promise.all(NAMES.map(wgStartedAt));
    await startPing("others", "alfa", "bravo");
    await startPing("rotated", "delta", "charlie");
    await new Promise((r) => setTimeout(r, 3000));
    const start = Date.now();
    const built = await deploy(() => hostLayer(NAMES, { charlie: 1 }), waitFor);
    const took = seconds(start);
    const keys = await value(built.mesh.publicKeys);
    const [lostOthers, lostRotated] = [await lost("others", "alfa"), await lost("rotated", "delta")];

    assert.match(engine.ran("mesh-charlie-key")[0].stderr, /changed: rotated\(0->1\)/);
    for (const n of ["alfa", "bravo", "delta"]) {
      assert.match(engine.ran(`mesh-${n}-key`)[0].stderr, /changed: none/);
      assert.match(engine.ran(`mesh-${n}-config`)[0].stdout, /changed: config peers-synced/);
    }
    assert.match(
      engine.ran("mesh-charlie-config")[0].stdout,
      /changed: config peers-synced previous-key-removed/,
    );
    const after = (await host("charlie").exec("wg show wg0 public-key")).stdout.trim();
    assert.notStrictEqual(after, before);
    assert.strictEqual(keys.charlie, after);
    for (const n of ["alfa", "bravo", "delta"]) {
      const peers = (await host(n).exec("wg show wg0 peers")).stdout;
      assert.match(
        peers,
        new RegExp(after.replace(/[+/=]/g, "\\$&")),
        `${n} does not know charlie's new key`,
      );
      assert.doesNotMatch(
        peers,
        new RegExp(before.replace(/[+/=]/g, "\\$&")),
        `${n} still has charlie's old key`,
      );
    }
    assert.strictEqual(
      (await host("charlie").exec("ls /etc/wireguard")).stdout
        .split("\n")
        .filter((f) => f.includes("previous")).length,
      0,
    );
    // No interface was restarted.
    assert.deepStrictEqual(await Promise.all(NAMES.map(wgStartedAt)), started);
    console.log(
      `    key rotation of charlie: deployment ${took} s; packets lost alfa->bravo ${lostOthers} of ${PINGS}, ` +
        `delta->charlie ${lostRotated} of ${PINGS} (0.2 s apart)`,
    );
    assert.strictEqual(lostOthers, 0, "the rotation cost packets between two other nodes");
    // The rotated node's own links lose what falls between its new key and its peers' syncconf.
    assert.ok(lostRotated <= 25, `delta->charlie lost ${lostRotated} packets (more than 5 s)`);
    await pingAll(NAMES);
  });

  it("runs every script a second time after the rotation without changing anything", async () => {
    await deploy(() => hostLayer(NAMES, { charlie: 1 }), waitFor);
    for (const run of engine.runs)
      assert.match(run.stdout + run.stderr, /changed: none/, `${run.name} on ${run.host} changed something`);
  });

  it("node removal of delta: peers drop it by wg syncconf without a restart, its teardown runs", async () => {
    const started = await Promise.all(NAMES.slice(0, 3).map(wgStartedAt));
    await startPing("removal", "alfa", "charlie");
    const start = Date.now();
    await deploy(() => hostLayer(NAMES.slice(0, 3), { charlie: 1 }), waitFor);
    const teardown = await engine.pruneGone();
    const took = seconds(start);
    const lostRemoval = await lost("removal", "alfa");

    for (const n of NAMES.slice(0, 3))
      assert.match(engine.ran(`mesh-${n}-config`)[0].stdout, /changed: config peers-synced/);
    const ran = teardown.map((r) => r.name);
    for (const name of ["mesh-delta-config", "mesh-delta-key", "delta-baseline"])
      assert.ok(ran.includes(name), `${name} was not torn down (${ran.join(", ")})`);
    assert.match(teardown.find((r) => r.name === "mesh-delta-config")!.stdout, /changed: stopped/);
    assert.match(teardown.find((r) => r.name === "mesh-delta-key")!.stdout, /changed: removed-key/);
    for (const n of NAMES.slice(0, 3)) {
      const peers = (await host(n).exec("wg show wg0 peers")).stdout.trim().split("\n");
      assert.strictEqual(peers.length, 2, `${n} has peers ${peers.join(", ")}`);
    }
    assert.notStrictEqual((await host("delta").exec("ip link show wg0", { check: false })).code, 0);
    assert.strictEqual(
      (await host("delta").exec("ls -A /etc/wireguard", { check: false })).stdout.trim(),
      "",
    );
    assert.deepStrictEqual(await Promise.all(NAMES.slice(0, 3).map(wgStartedAt)), started);
    console.log(
      `    node removal of delta: deployment and teardown ${took} s; packets lost alfa->charlie ${lostRemoval} of ${PINGS}`,
    );
    assert.strictEqual(lostRemoval, 0);
    await pingAll(NAMES.slice(0, 3));
  });
});
