// The agents' restart slots against a real API server: upstream kube-apiserver (what k3s embeds,
// built by tests/k8s/build.sh) on loopback with etcd, Node and RBAC authorization as k3s runs
// them, and a token per agent in the group `system:nodes`, as a kubelet's certificate is. The
// slot code is the part of the rendered configure.sh between its markers, run by many agents at
// once: no more than SLOTS hold a slot at any time, every agent gets one, and the nodes' right
// reaches no further than ConfigMaps in fortress-system.
import * as assert from "assert";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { renderConfigureScript } from "../../components/k3sCluster/scripts";
import { planK3sJoin, restartSlotsManifest } from "../../sdk/k3s";

const BIN = execFileSync("bash", [path.join(__dirname, "build.sh")], { encoding: "utf8" })
  .trim()
  .split("\n")
  .pop()!;
const AGENTS = Array.from({ length: 12 }, (_, i) => `agent-${i + 1}`);
const SLOTS = 3;

/** `n` distinct free ports on loopback (all held open at once, so none is given twice). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<net.Server>((resolve, reject) => {
          const s = net.createServer();
          s.on("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

/** The slot functions exactly as configure.sh renders them for an agent. */
function slotCode(): string {
  const [, agent] = planK3sJoin(["osl-1"], ["agent-1"]);
  const policy = { version: "v1.36.4+k3s1", servers: ["osl-1"], slots: SLOTS, agents: AGENTS.length };
  const script = renderConfigureScript(agent, "node-name: agent-1\n", policy);
  const start = script.indexOf("# --- restart slots");
  const end = script.indexOf("# --- end restart slots ---");
  assert.ok(start > 0 && end > start, "configure.sh has its restart-slot markers");
  return script.slice(start, end);
}

describe("the agents' restart slots on a real API server", function () {
  this.timeout(300000);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-slots-"));
  const children: ChildProcess[] = [];
  let server = "";

  /** kubectl as `who` (a token of tokens.csv). */
  const kubectl = (who: string, args: string[], input?: string) =>
    execFileSync(
      "kubectl",
      [`--server=${server}`, "--insecure-skip-tls-verify", `--token=${who}-token`, ...args],
      {
        encoding: "utf8",
        input,
        stdio: ["pipe", "pipe", "pipe"],
      },
    );

  before(async () => {
    const [etcdPort, peerPort, apiPort] = await freePorts(3);
    server = `https://127.0.0.1:${apiPort}`;
    fs.writeFileSync(
      path.join(dir, "tokens.csv"),
      [
        "admin-token,admin,admin,system:masters",
        ...AGENTS.map((a) => `${a}-token,system:node:${a},${a},system:nodes`),
        "ghost-token,ghost,ghost,",
      ].join("\n") + "\n",
    );
    execFileSync("openssl", ["genrsa", "-out", path.join(dir, "sa.key"), "2048"], { stdio: "ignore" });
    const log = (name: string) => fs.openSync(path.join(dir, `${name}.log`), "w");
    const start = (file: string, args: string[], name: string) => {
      const child = spawn(file, args, { stdio: ["ignore", log(name), log(`${name}.err`)] });
      children.push(child);
    };
    start(
      "etcd",
      [
        `--data-dir=${dir}/etcd`,
        `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
        `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
        `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
        `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      ],
      "etcd",
    );
    start(
      path.join(BIN, "bin", "kube-apiserver"),
      [
        `--etcd-servers=http://127.0.0.1:${etcdPort}`,
        "--bind-address=127.0.0.1",
        `--secure-port=${apiPort}`,
        `--cert-dir=${dir}/certs`,
        `--token-auth-file=${dir}/tokens.csv`,
        "--anonymous-auth=false",
        // As k3s runs its API server: nodes through the Node authorizer, everything else RBAC.
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        "--service-account-issuer=https://kubernetes.default.svc",
        `--service-account-key-file=${dir}/sa.key`,
        `--service-account-signing-key-file=${dir}/sa.key`,
        "--service-cluster-ip-range=10.43.0.0/16",
      ],
      "kube-apiserver",
    );
    const deadline = Date.now() + 120000;
    for (;;) {
      try {
        if (kubectl("admin", ["--request-timeout=5s", "get", "--raw", "/readyz"]).trim() === "ok") break;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline)
        assert.fail(
          `the API server did not start: ${fs.readFileSync(path.join(dir, "kube-apiserver.err.log"), "utf8").slice(-2000)}`,
        );
      await new Promise((r) => setTimeout(r, 1000));
    }
    // What the servers put in k3s's manifests folder, applied as k3s's deploy controller would.
    kubectl("admin", ["apply", "-f", "-"], restartSlotsManifest());
  });

  after(() => {
    for (const c of children.reverse()) c.kill("SIGTERM");
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A slot someone holds, as an agent leaves it (epoch seconds). */
  const slotHeld = (name: string, holder: string, taken: number, expires: number) =>
    kubectl(
      "admin",
      ["create", "-f", "-"],
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: fortress-system}\ndata: {holder: ${holder}, taken: "${taken}", expires: "${expires}"}\n`,
    );
  const slotsLeft = () =>
    kubectl("admin", ["-n", "fortress-system", "get", "configmaps", "-o", "name"])
      .trim()
      .split("\n")
      .filter((n) => n.startsWith("configmap/k3s-restart-"))
      .map((n) => n.replace("configmap/", ""));

  /** Runs `body` after the slot code, as `who` (its token) on node `node`. */
  const runAs = (who: string, node: string, body: string[], extra = "") =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      const script = [
        "set -euo pipefail",
        `NODE_NAME=${node} SLOTS=${SLOTS} SLOT_LEASE=3600 SLOT_TIMEOUT=60 SLOT_NAMESPACE=fortress-system`,
        'VERSION=v1.36.4+k3s1 SERVERS="osl-1 osl-2 osl-3" READY_TIMEOUT=20',
        "log() { printf 'fortress-k3s-configure: %s\\n' \"$*\" >&2; }",
        'die() { log "error: $*"; exit 1; }',
        // `k3s kubectl` on the node, with its own credential.
        `kc() { kubectl --server=${server} --insecure-skip-tls-verify --token=${who}-token --request-timeout=10s "$@"; }`,
        slotCode(),
        extra,
        ...body,
      ].join("\n");
      const child = spawn("bash", ["-c", script], { stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("close", (code) => resolve({ code: code ?? 1, stderr }));
    });
  /** An agent's restart: take a slot, hold it for `seconds`, free it; logs when. */
  const agentRun = (agent: string, seconds: number, extra = "") =>
    runAs(
      agent,
      agent,
      [
        "acquire_slot",
        `echo "$(date +%s.%N) take $NODE_NAME $slot" >>${dir}/held.log`,
        `sleep ${seconds}`,
        `echo "$(date +%s.%N) free $NODE_NAME $slot" >>${dir}/held.log`,
        "release_slot",
      ],
      extra,
    );

  it(`lets ${AGENTS.length} agents restarting at once hold at most ${SLOTS} slots at a time, and every one gets its turn`, async () => {
    const start = Date.now();
    const results = await Promise.all(AGENTS.map((a) => agentRun(a, 3)));
    const seconds = (Date.now() - start) / 1000;
    results.forEach((r, i) => assert.strictEqual(r.code, 0, `${AGENTS[i]}: ${r.stderr}`));
    const events = fs
      .readFileSync(path.join(dir, "held.log"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" "))
      .map(([t, what, agent, slot]) => ({ t: Number(t), what, agent, slot }))
      .sort((a, b) => a.t - b.t);
    let holding = 0;
    let most = 0;
    const slotHolder = new Map<string, string>();
    for (const e of events) {
      if (e.what === "take") {
        assert.ok(!slotHolder.has(e.slot), `${e.agent} took ${e.slot}, which ${slotHolder.get(e.slot)} held`);
        slotHolder.set(e.slot, e.agent);
        holding++;
      } else {
        slotHolder.delete(e.slot);
        holding--;
      }
      most = Math.max(most, holding);
    }
    console.log(
      `      ${AGENTS.length} agents, ${SLOTS} slots, 3 s each: at most ${most} at once, all done in ${seconds.toFixed(1)} s`,
    );
    assert.strictEqual(events.filter((e) => e.what === "take").length, AGENTS.length);
    assert.strictEqual(most, SLOTS);
    assert.deepStrictEqual(slotsLeft(), [], "every slot was freed");
  });

  it("takes over a slot whose holder died more than its lease ago, and one it kept itself", async () => {
    const now = Math.floor(Date.now() / 1000);
    slotHeld("k3s-restart-0", "agent-9", now - 7200, now - 3600);
    slotHeld("k3s-restart-1", "agent-1", now, now + 3600);
    slotHeld("k3s-restart-2", "agent-8", now, now + 3600);
    // agent-1 finds the slot it kept from a failed run; agent-2 the expired one of agent-9.
    const [one, two] = await Promise.all([agentRun("agent-1", 0), agentRun("agent-2", 0)]);
    assert.strictEqual(one.code, 0, one.stderr);
    assert.strictEqual(two.code, 0, two.stderr);
    const taken = fs.readFileSync(path.join(dir, "held.log"), "utf8").trim().split("\n").slice(-4);
    assert.ok(
      taken.some((l) => / take agent-1 k3s-restart-1$/.test(l)),
      taken.join("\n"),
    );
    assert.ok(
      taken.some((l) => / take agent-2 k3s-restart-0$/.test(l)),
      taken.join("\n"),
    );
    // A live slot of another node is never taken: agent-8's stays.
    assert.match(
      kubectl("admin", [
        "-n",
        "fortress-system",
        "get",
        "configmap",
        "k3s-restart-2",
        "-o",
        "jsonpath={.data.holder}",
      ]),
      /^agent-8$/,
    );
    kubectl("admin", ["-n", "fortress-system", "delete", "configmap", "k3s-restart-2"]);
  });

  it("gives up with a clear error when no slot frees in time", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (let i = 0; i < SLOTS; i++) slotHeld(`k3s-restart-${i}`, "agent-12", now, now + 3600);
    const r = await agentRun("agent-3", 0, "SLOT_TIMEOUT=6");
    assert.strictEqual(r.code, 1);
    assert.match(
      r.stderr,
      /error: no agent restart slot was free within 6s \(at most 3 agents restart at once; 'kubectl -n fortress-system get configmaps' shows who holds them\)\n$/,
    );
    kubectl("admin", ["-n", "fortress-system", "delete", "configmaps", ...slotsLeft()]);
  });

  it("makes an upgrading agent wait until every server has said it runs the new release", async () => {
    // osl-1 says so, as its configure step does once it is Ready on the release (admin's credential).
    assert.strictEqual((await runAs("admin", "osl-1", ["publish_release"])).code, 0);
    const early = await runAs("agent-4", "agent-4", ["wait_servers_upgraded"], "SLOT_TIMEOUT=6");
    assert.strictEqual(early.code, 1);
    assert.match(
      early.stderr,
      /error: server\(s\) osl-2 osl-3 do not run v1\.36\.4\+k3s1 after 6s; agents upgrade only after every server \(a kubelet must not be newer than its API servers\)\n$/,
    );
    const waiting = runAs("agent-4", "agent-4", ["wait_servers_upgraded", "log passed"]);
    for (const s of ["osl-2", "osl-3"])
      assert.strictEqual((await runAs("admin", s, ["publish_release"])).code, 0);
    const passed = await waiting;
    assert.strictEqual(passed.code, 0, passed.stderr);
    assert.match(passed.stderr, /passed/);
    assert.deepStrictEqual(
      JSON.parse(
        kubectl("admin", [
          "-n",
          "fortress-system",
          "get",
          "configmap",
          "k3s-server-releases",
          "-o",
          "jsonpath={.data}",
        ]),
      ),
      { "osl-1": "v1.36.4+k3s1", "osl-2": "v1.36.4+k3s1", "osl-3": "v1.36.4+k3s1" },
    );
  });

  it("gives a node's credential no more than ConfigMaps in fortress-system (admission included)", () => {
    // Real requests, so admission has its say too (NodeRestriction refuses a node any Lease but
    // its own node lease, which is why the slots are ConfigMaps).
    const tryAs = (who: string, args: string[], input?: string) => {
      try {
        kubectl(who, args, input);
        return "ok";
      } catch (e) {
        return String((e as { stderr?: string }).stderr ?? e);
      }
    };
    const doc = (kind: string, ns: string) =>
      kind === "Lease"
        ? `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: probe, namespace: ${ns}}\nspec: {holderIdentity: agent-1}\n`
        : `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: probe, namespace: ${ns}}\n`;
    assert.strictEqual(tryAs("agent-1", ["create", "-f", "-"], doc("ConfigMap", "fortress-system")), "ok");
    assert.strictEqual(tryAs("agent-1", ["-n", "fortress-system", "delete", "configmap", "probe"]), "ok");
    assert.match(tryAs("agent-1", ["create", "-f", "-"], doc("ConfigMap", "kube-system")), /Forbidden/);
    assert.match(
      tryAs("agent-1", ["create", "-f", "-"], doc("Lease", "fortress-system")),
      /can only access leases in the "kube-node-lease"/,
    );
    assert.match(tryAs("agent-1", ["-n", "fortress-system", "get", "secrets"]), /Forbidden/);
    assert.match(tryAs("ghost", ["create", "-f", "-"], doc("ConfigMap", "fortress-system")), /Forbidden/);
    // Its own Node (readiness) but no other (the Node authorizer): hence the releases ConfigMap.
    assert.match(tryAs("agent-1", ["get", "node", "agent-2"]), /Forbidden/);
    assert.strictEqual(
      tryAs("agent-1", ["-n", "fortress-system", "get", "configmap", "k3s-server-releases"]),
      "ok",
    );
  });
});
