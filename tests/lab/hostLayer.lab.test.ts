// KvmNode and WireGuardMesh on real hosts: the scripts the components render, run over real SSH
// by the lab engine, then checked on the hosts for real.
import * as assert from "assert";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { deploy, engine } from "./engine";
import { assertHostLayerRemoved } from "./harness";
import { labSuite } from "./suite";

const NAMES = ["alfa", "bravo", "charlie", "delta"];

describe("the host layer on the lab (KvmNode, WireGuardMesh)", function () {
  const { host, kvmNode } = labSuite(NAMES);

  /** The program of the lab stack: the named nodes, and a mesh over them. */
  function hostLayer(names: string[]) {
    const nodes = names.map((n) => kvmNode(n));
    // "charlie" hashes to the address "bravo" has; preview said so and named a free one to pin.
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      addresses: { charlie: "10.100.0.254" },
    });
    return { nodes, mesh };
  }
  const waitFor = (built: ReturnType<typeof hostLayer>) => [
    built.mesh.addresses,
    ...built.nodes.map((n) => built.mesh.appliedOn(n.nodeName).stdout),
  ];

  let addresses: Record<string, string> = {};
  const pingAll = async (names: string[]) => {
    for (const from of names) {
      for (const to of names.filter((n) => n !== from)) {
        const r = await host(from).exec(`ping -c 2 -W 2 ${addresses[to]}`, { check: false });
        assert.strictEqual(
          r.code,
          0,
          `${from} cannot ping ${to} (${addresses[to]}) over the mesh:\n${r.stdout}`,
        );
      }
    }
  };
  const wgStartedAt = (name: string) =>
    host(name)
      .exec("systemctl show -p ActiveEnterTimestampMonotonic --value wg-quick@wg0")
      .then((r) => r.stdout.trim());

  it("prepares three hosts: packages present, kernel tuning, a firewall confirmed over a new connection", async () => {
    const built = await deploy(() => hostLayer(NAMES.slice(0, 3)), waitFor);
    addresses = await new Promise((r) => built.mesh.addresses.apply(r));
    for (const run of engine.ran("-baseline")) assert.match(run.stdout, /changed: .*sysctl.*firewall/);
    for (const run of engine.ran("-firewall-confirm"))
      assert.match(run.stdout, /changed: firewall-confirmed/);
    for (const name of NAMES.slice(0, 3)) {
      const h = host(name);
      assert.strictEqual((await h.exec("sysctl -n net.ipv4.ip_forward")).stdout.trim(), "1");
      assert.match((await h.exec("cat /etc/sysctl.d/99-fortress.conf")).stdout, /net\.ipv4\.ip_forward = 1/);
      assert.match((await h.exec("nft list chain inet fortress input")).stdout, /policy drop;/);
      assert.strictEqual(
        (await h.exec("systemctl is-enabled fortress-firewall.service")).stdout.trim(),
        "enabled",
      );
      const timer = await h.exec("systemctl is-active fortress-firewall-rollback.timer", { check: false });
      assert.notStrictEqual(timer.stdout.trim(), "active", "the rollback timer was not cancelled");
    }
  });

  it("joins them in a mesh: every pair pings over wg0, every peer has a recent handshake", async () => {
    await pingAll(NAMES.slice(0, 3));
    for (const name of NAMES.slice(0, 3)) {
      const out = (await host(name).exec("wg show wg0 latest-handshakes")).stdout.trim().split("\n");
      assert.strictEqual(out.length, 2, `${name}: ${out.join("; ")}`);
      const now = Math.floor(Date.now() / 1000);
      for (const line of out) {
        const at = Number(line.split(/\s+/)[1]);
        assert.ok(at > 0 && now - at < 180, `${name}: no recent handshake in "${line}"`);
      }
      const key = await host(name).exec("stat -c '%a %U' /etc/wireguard/wg0.key");
      assert.strictEqual(key.stdout.trim(), "600 root");
    }
  });

  it("runs every script a second time without changing or restarting anything", async () => {
    const started = await Promise.all(NAMES.slice(0, 3).map(wgStartedAt));
    await deploy(() => hostLayer(NAMES.slice(0, 3)), waitFor);
    assert.strictEqual(engine.runs.length, 12);
    for (const run of engine.runs) {
      assert.match(run.stdout + run.stderr, /changed: none/, `${run.name} on ${run.host} changed something`);
    }
    assert.deepStrictEqual(await Promise.all(NAMES.slice(0, 3).map(wgStartedAt)), started);
  });

  it("adds a fourth host without dropping a packet between the first three", async () => {
    const started = await Promise.all(NAMES.slice(0, 3).map(wgStartedAt));
    // 150 pings, 0.2 s apart, from alfa to bravo across the whole change.
    await host("alfa").exec(`nohup ping -i 0.2 -c 150 ${addresses.bravo} >/tmp/ping.log 2>&1 &`);
    const built = await deploy(() => hostLayer(NAMES), waitFor);
    addresses = await new Promise((r) => built.mesh.addresses.apply(r));
    for (const run of engine.ran("-config").filter((r) => r.host !== "delta")) {
      assert.match(run.stdout, /changed: config peers-synced/);
    }
    const log = await host("alfa").exec(
      "while pgrep -x ping >/dev/null; do sleep 1; done; cat /tmp/ping.log",
    );
    assert.match(log.stdout, /150 packets transmitted, 150 received, 0% packet loss/);
    assert.deepStrictEqual(await Promise.all(NAMES.slice(0, 3).map(wgStartedAt)), started);
    await pingAll(NAMES);
  });

  it("drops what the firewall does not allow, and keeps SSH open", async () => {
    const alfa = host("alfa").address;
    // A closed port answers with a reset unless the firewall drops the probe: then it times out.
    const probe = await host("delta").exec(`timeout 3 bash -c '</dev/tcp/${alfa}/81'`, { check: false });
    assert.strictEqual(probe.code, 124, `port 81 on alfa answered: ${probe.stderr}`);
    const ssh = await host("delta").exec(`timeout 3 bash -c '</dev/tcp/${alfa}/22'`, { check: false });
    assert.strictEqual(ssh.code, 0);
  });

  it("brings a rebooted host back into the mesh by itself, firewall and tuning included", async () => {
    await host("charlie").reboot();
    // Each peer still holds a session the rebooted host forgot; WireGuard starts a new handshake
    // once that peer has sent without an answer for about 15 s. So every peer gets the same wait.
    const deadline = Date.now() + 90_000;
    for (const from of NAMES.filter((n) => n !== "charlie")) {
      let r = await host(from).exec(`ping -c 1 -W 2 ${addresses.charlie}`, { check: false });
      while (r.code !== 0 && Date.now() < deadline) {
        r = await host(from).exec(`ping -c 1 -W 2 ${addresses.charlie}`, { check: false });
      }
      assert.strictEqual(r.code, 0, `charlie did not come back into the mesh (from ${from})`);
    }
    assert.strictEqual(
      (await host("charlie").exec("systemctl is-active wg-quick@wg0")).stdout.trim(),
      "active",
    );
    assert.match((await host("charlie").exec("nft list chain inet fortress input")).stdout, /policy drop;/);
    assert.strictEqual((await host("charlie").exec("sysctl -n net.ipv4.ip_forward")).stdout.trim(), "1");
    await pingAll(NAMES);
  });

  it("rolls a firewall change back by itself when no new SSH connection confirms it", async () => {
    const probation = () => kvmNode("bravo", { firewall: { allowedTcpPorts: [8443], rollbackSeconds: 30 } });
    // A run that stops after the baseline, as one cut off would: nothing confirms the change.
    engine.skip = (name) => name.endsWith("-firewall-confirm");
    await deploy(probation, (n) => [n.baselineLog]);
    const bravo = host("bravo");
    assert.match((await bravo.exec("nft list set inet fortress tcp_ports")).stdout, /8443/);
    assert.strictEqual(
      (await bravo.exec("systemctl is-active fortress-firewall-rollback.timer")).stdout.trim(),
      "active",
    );
    await new Promise((r) => setTimeout(r, 40_000));
    assert.doesNotMatch((await bravo.exec("nft list set inet fortress tcp_ports")).stdout, /8443/);
    assert.doesNotMatch((await bravo.exec("cat /etc/fortress/firewall.nft")).stdout, /8443/);
    // The next full run applies the change again, and this time a new connection confirms it.
    engine.skip = undefined;
    await deploy(probation, (n) => [n.ready.stdout]);
    assert.match(engine.ran("-firewall-confirm")[0].stdout, /changed: firewall-confirmed/);
    assert.match((await bravo.exec("nft list set inet fortress tcp_ports")).stdout, /8443/);
    assert.notStrictEqual(
      (
        await bravo.exec("systemctl is-active fortress-firewall-rollback.timer", { check: false })
      ).stdout.trim(),
      "active",
    );
  });

  it("destroy removes what the components installed", async () => {
    await deploy(() => hostLayer(NAMES), waitFor);
    const ran = await engine.destroy();
    assert.ok(ran.some((r) => r.name === "mesh-alfa-config"));
    for (const name of NAMES) await assertHostLayerRemoved(host(name));
  });
});
