// K3sCluster's etcd snapshot collection on real hosts, over the mesh: k3s cannot run here, so alfa
// and bravo stand in for servers with a snapshot folder of made-up snapshots, as k3s's scheduler
// would leave them; the component's own snapshot steps (snapshotSteps) run on them through the
// lab engine. What is proven: the servers seal, the backup node fetches only sealed files over
// the mesh with its own key, the key opens nothing else and works from nowhere else, retention,
// a pruned snapshot leaves the outbox, and the private key output opens every fetched snapshot.
import * as assert from "assert";
import { execFileSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { snapshotSteps } from "../../components/k3sCluster/snapshots";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { K3S_SNAPSHOT_DIR } from "../../sdk/k3s";
import { deploy, engine } from "./engine";
import { labSuite } from "./suite";

const NAMES = ["alfa", "bravo", "charlie", "delta"];
const SERVERS = ["alfa", "bravo"];
const KEPT = "/var/backups/fortress-k3s/k3s";
const OUTBOX = "/var/lib/fortress/k3s-snapshots-outbox";

class StandIn extends pulumi.ComponentResource {
  constructor() {
    super("test:index:K3sSnapshots", "k3s", {});
  }
}

describe("K3sCluster etcd snapshots on the lab (collection over the mesh)", function () {
  const { host, kvmNode } = labSuite(NAMES, { realProviders: true });

  function stack() {
    const nodes = NAMES.map((n) => kvmNode(n));
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      addresses: { charlie: "10.100.0.254" },
    });
    const hostOf = (n: string) => nodes[NAMES.indexOf(n)].host();
    const snapshots = snapshotSteps(new StandIn(), "k3s", {
      node: hostOf("charlie"),
      servers: SERVERS.map(hostOf),
      addresses: mesh.addresses,
      keep: 2,
      meshReady: NAMES.map((n) => mesh.appliedOn(n)),
      // The servers' k3s start, which the lab cannot run: their mesh step stands in for it.
      started: Object.fromEntries(SERVERS.map((n) => [n, mesh.appliedOn(n)])),
    });
    return { mesh, snapshots };
  }
  const waitFor = (built: ReturnType<typeof stack>) => [built.mesh.addresses, built.snapshots.privateKeyPem];
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
  const sh = async (name: string, cmd: string) => (await host(name).exec(cmd)).stdout.trim();

  let addresses: Record<string, string> = {};
  let privateKey = "";
  const made: Record<string, string> = {}; // snapshot name -> sha256 of what k3s wrote
  let stamp = 1796000000;

  /** A made-up snapshot on a stand-in server, named as k3s names them; returns its name. */
  async function snapshotOn(server: string): Promise<string> {
    const name = `etcd-snapshot-${server}-${stamp++}.zip`;
    const bytes = randomBytes(200_000);
    made[name] = createHash("sha256").update(bytes).digest("hex");
    await host(server).exec(
      `install -d -m 0700 ${K3S_SNAPSHOT_DIR} && base64 -d >${K3S_SNAPSHOT_DIR}/${name}`,
      {
        stdin: bytes.toString("base64"),
      },
    );
    assert.strictEqual(await sh(server, `sha256sum ${K3S_SNAPSHOT_DIR}/${name} | cut -d' ' -f1`), made[name]);
    return name;
  }
  const sealOn = (server: string) => host(server).exec("systemctl start fortress-k3s-snapshot-k3s.service");
  const fetch = async () => {
    const start = Date.now();
    await host("charlie").exec("systemctl start fortress-k3s-snapshots-k3s.service");
    return (Date.now() - start) / 1000;
  };
  const kept = async (server: string) =>
    (await sh("charlie", `ls ${KEPT}/${server}`)).split("\n").filter((f) => f.length > 0);

  /** Opens a fetched snapshot with the private key, here, and returns the sha256 of what it holds. */
  async function open(server: string, name: string): Promise<string> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-k3s-open-"));
    try {
      const file = (f: string) => path.join(dir, f);
      fs.writeFileSync(file("private.pem"), privateKey, { mode: 0o600 });
      for (const part of [".enc", ".key.enc"])
        fs.writeFileSync(
          file(`s${part}`),
          Buffer.from(await sh("charlie", `base64 -w0 ${KEPT}/${server}/${name}${part}`), "base64"),
        );
      const key = execFileSync("openssl", [
        "pkeyutl", "-decrypt", "-inkey", file("private.pem"), "-in", file("s.key.enc"),
        "-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256",
      ]); // prettier-ignore
      const plain = execFileSync(
        "openssl",
        ["enc", "-d", "-aes-256-cbc", "-pbkdf2", "-iter", "100000", "-in", file("s.enc"), "-pass", "stdin"],
        { input: key },
      );
      return createHash("sha256").update(plain).digest("hex");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it("sets up the servers' outboxes and the backup node's fetch, and a second run changes nothing", async () => {
    const built = await deploy(stack, waitFor);
    addresses = await value(built.mesh.addresses);
    privateKey = await value(built.snapshots.privateKeyPem);
    // The backup node's summary goes to stderr: its output is its SSH public key, nothing else.
    const target = engine.ran("k3s-snapshots")[0];
    assert.match(target.stderr, /changed: ssh-key sources job units timer-enabled/);
    assert.match(target.stdout, /^ssh-ed25519 [A-Za-z0-9+/]+\n$/);
    for (const s of SERVERS)
      assert.match(
        engine.ran(`k3s-${s}-snapshot-source`)[0].stdout,
        /changed: account job public-key authorized-key units timer-enabled/,
      );
    assert.match(
      await sh(
        "charlie",
        "systemctl show -p ActiveState,TimersCalendar --value fortress-k3s-snapshots-k3s.timer",
      ),
      /OnCalendar=\*-\*-\* \*:00:00[\s\S]*\nactive$/,
    );
    engine.reset();
    await deploy(stack, waitFor);
    assert.match(engine.ran("k3s-snapshots")[0].stderr, /changed: none/);
    for (const s of SERVERS)
      assert.match(engine.ran(`k3s-${s}-snapshot-source`)[0].stdout, /changed: none/, s);
  });

  it("fetches every new snapshot, sealed, over the mesh; the private key output opens each one", async () => {
    const names: Record<string, string> = {};
    for (const s of SERVERS) {
      names[s] = await snapshotOn(s);
      await sealOn(s);
    }
    const seconds = await fetch();
    for (const s of SERVERS) {
      assert.deepStrictEqual(await kept(s), [`${names[s]}.enc`, `${names[s]}.key.enc`]);
      assert.strictEqual(
        await open(s, names[s]),
        made[names[s]],
        `${s}: what was fetched opens to the snapshot`,
      );
      // Only ciphertext on the backup node and in the outbox.
      assert.notStrictEqual(
        await sh("charlie", `sha256sum ${KEPT}/${s}/${names[s]}.enc | cut -d' ' -f1`),
        made[names[s]],
      );
      assert.strictEqual(
        await sh(s, `stat -c '%a %U %G' ${OUTBOX}/${names[s]}.enc`),
        "640 root fortress-snapshots",
      );
    }
    console.log(
      `    fetch of 2 sealed snapshots (200 kB each) from 2 servers over the mesh: ${seconds.toFixed(1)} s`,
    );
    // The fetch went over the mesh: the servers' authorized key names charlie's mesh address.
    assert.match(
      await sh("alfa", "cat /etc/fortress/k3s-snapshots/.ssh/authorized_keys"),
      new RegExp(`^from="${addresses.charlie.replace(/\./g, "\\.")}",restrict,command=`),
    );
  });

  it("keeps the newest 2 per server, and drops from the outbox what k3s pruned", async () => {
    const newer: string[] = [];
    for (let i = 0; i < 2; i++) newer.push(await snapshotOn("alfa"));
    await sealOn("alfa");
    await fetch();
    assert.deepStrictEqual(
      await kept("alfa"),
      newer.flatMap((n) => [`${n}.enc`, `${n}.key.enc`]),
    );
    // k3s's own retention removed the oldest: the next seal drops its sealed copy.
    const oldest = (await sh("alfa", `ls ${K3S_SNAPSHOT_DIR} | sort | head -n 1`)).trim();
    await host("alfa").exec(`rm ${K3S_SNAPSHOT_DIR}/${oldest}`);
    await sealOn("alfa");
    assert.doesNotMatch(await sh("alfa", `ls ${OUTBOX}`), new RegExp(oldest.replace(/\./g, "\\.")));
  });

  it("lets the backup node's key list and send sealed files only, and only from its mesh address", async () => {
    const ssh = (from: string, to: string, command: string) =>
      host(from).exec(
        `ssh -n -i /root/k3s-key -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/dev/null fortress-snapshots@${addresses[to]} ${JSON.stringify(command)}`,
        { check: false },
      );
    await host("charlie").exec("cp /etc/fortress/k3s-snapshots-k3s/id_ed25519 /root/k3s-key");
    assert.strictEqual((await ssh("charlie", "alfa", "list")).code, 0);
    const shell = await ssh("charlie", "alfa", "cat /etc/shadow");
    assert.notStrictEqual(shell.code, 0);
    assert.match(shell.stderr, /refused: only list and send NAME/);
    const escape = await ssh("charlie", "alfa", "send ../../../../etc/shadow");
    assert.notStrictEqual(escape.code, 0);
    assert.strictEqual(escape.stdout, "");
    // The same key from another node (delta) is refused by sshd itself.
    const key = await sh("charlie", "base64 -w0 /root/k3s-key");
    await host("delta").exec(`echo ${key} | base64 -d >/root/k3s-key && chmod 600 /root/k3s-key`);
    const elsewhere = await ssh("delta", "alfa", "list");
    assert.notStrictEqual(elsewhere.code, 0);
    assert.match(elsewhere.stderr, /Permission denied/);
    for (const h of ["charlie", "delta"]) await host(h).exec("rm -f /root/k3s-key");
  });
});
