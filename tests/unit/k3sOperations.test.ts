// Day two of a K3sCluster: upgrades (what the hosts refuse), etcd snapshots (where they go, who
// may keep them) and the restart slots' rights. k3s itself cannot run here: the install script is
// run for real against a stand-in `k3s` that reports an installed release.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parseAllDocuments } from "yaml";
import { K3sCluster, K3sClusterArgs } from "../../components/k3sCluster/k3sCluster";
import { renderInstallScript } from "../../components/k3sCluster/scripts";
import { HostArgs } from "../../components/host/hostArgs";
import { DEFAULT_K3S_VERSION, k3sUpgradeProblem, planK3sJoin, restartSlotsManifest } from "../../sdk/k3s";
import { isSecret, settle, valueOf } from "../../sdk/testing/mocks";
import { dependsOnNames, mocks, recordOptions, registeredOptions } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nazNzLW9wcw==\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string, fleet = false): HostArgs => ({
  name,
  connection: pulumi.secret({
    host: address,
    port: 2222,
    user: "root",
    privateKey: KEY,
    dialErrorLimit: 10,
    perDialTimeout: 15,
  }),
  publicAddress: address,
  placement: fleet
    ? { provider: "aws", region: "eu-north-1" }
    : { country: "NO", provider: "coolvds", region: "no-oslo-1" },
});
const servers = ["osl-1", "osl-2", "osl-3"].map((n, i) => host(n, `185.1.2.${i + 1}`));
const addresses = {
  "osl-1": "10.100.0.1",
  "osl-2": "10.100.0.2",
  "osl-3": "10.100.0.3",
  "dr-1": "10.100.0.10",
  "fleet-1": "10.100.0.101",
};

/** What the install script does on a host that reports `installed`: its exit, its log, whether it downloaded. */
function installOn(installed: string, target: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-k3s-install-"));
  const stub = (name: string, body: string) =>
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  stub("k3s", `echo "k3s version ${installed} (0123abcd)"; echo "go version go1.26"`);
  // Nothing leaves the machine and no package is installed: a download fails, packages are there.
  stub("curl", `touch "${dir}/downloaded"; exit 22`);
  stub("dpkg-query", "printf 'install ok installed'");
  const [plan] = planK3sJoin(["osl-1"], []);
  const script = renderInstallScript(plan, {
    version: target,
    mirror: "",
    installScriptUrl: "https://get.k3s.io",
  });
  const r = spawnSync("bash", ["-c", script], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
  });
  const downloaded = fs.existsSync(path.join(dir, "downloaded"));
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout, downloaded };
}

describe("K3sCluster upgrades", () => {
  const cases: [string, string, string | undefined][] = [
    ["v1.35.4+k3s1", "v1.36.4+k3s1", undefined],
    ["v1.36.2+k3s1", "v1.36.4+k3s1", undefined],
    ["v1.36.4+k3s1", "v1.36.4+k3s2", undefined],
    ["v1.36.0-rc1+k3s1", "v1.36.0+k3s1", undefined],
    [
      "v1.36.4+k3s1",
      "v1.35.9+k3s1",
      "v1.35.9+k3s1 is older than the installed v1.36.4+k3s1; k3s cannot be downgraded in place (pin v1.36.4+k3s1 or later)",
    ],
    [
      "v1.36.4+k3s2",
      "v1.36.4+k3s1",
      "v1.36.4+k3s1 is older than the installed v1.36.4+k3s2; k3s cannot be downgraded in place (pin v1.36.4+k3s2 or later)",
    ],
    [
      "v1.34.3+k3s1",
      "v1.36.4+k3s1",
      "v1.36.4+k3s1 skips a minor version from the installed v1.34.3+k3s1; upgrade one minor version at a time (pin the newest v1.35.x release first)",
    ],
  ];

  for (const [installed, target, refusal] of cases) {
    it(`${installed} -> ${target}: ${refusal ? "refused on the host before anything changes" : "goes ahead"}`, () => {
      assert.strictEqual(k3sUpgradeProblem(installed, target), refusal);
      const r = installOn(installed, target);
      if (refusal) {
        assert.strictEqual(r.status, 1);
        assert.strictEqual(r.stderr, `fortress-k3s-install: error: ${refusal}\n`);
        assert.strictEqual(r.downloaded, false);
      } else {
        assert.match(r.stderr, new RegExp(`upgrading k3s ${installed.replace(/\+/g, "\\+")} to`));
        assert.doesNotMatch(r.stderr, /error:/);
        assert.strictEqual(r.downloaded, true, "it went on to download the release");
      }
    });
  }

  it("does nothing on a host that already runs the pinned release", () => {
    const r = installOn(DEFAULT_K3S_VERSION, DEFAULT_K3S_VERSION);
    assert.strictEqual(r.status, 0);
    assert.strictEqual(r.stdout, "fortress-k3s-install: changed: none\n");
    assert.strictEqual(r.downloaded, false);
  });
});

describe("the restart slots' rights", () => {
  it("let every node take and free a ConfigMap in fortress-system, and nothing else", () => {
    const docs = parseAllDocuments(restartSlotsManifest()).map((d) => d.toJS() as Record<string, unknown>);
    assert.deepStrictEqual(
      docs.map((d) => d.kind),
      ["Namespace", "Role", "RoleBinding"],
    );
    assert.deepStrictEqual(docs[1].rules, [
      {
        apiGroups: [""],
        resources: ["configmaps"],
        verbs: ["get", "create", "update", "delete"],
      },
    ]);
    assert.deepStrictEqual(docs[2].subjects, [
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "system:nodes" },
    ]);
    for (const d of docs.slice(1))
      assert.strictEqual((d.metadata as { namespace: string }).namespace, "fortress-system");
  });
});

describe("K3sCluster etcd snapshots", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });
  const build = async (args: Partial<K3sClusterArgs>) => {
    const c = new K3sCluster(
      "k3s",
      { servers, addresses, snapshots: { node: host("dr-1", "185.1.2.10") }, ...args },
      { transformations: [recordOptions] },
    );
    await valueOf(c.kubeconfig);
    await settle();
    return c;
  };
  const create = (name: string) => mocks.named(name).inputs.create as string;
  const configOf = (name: string) => {
    const s = create(name);
    return s.slice(s.indexOf("CONFIG='") + 8, s.indexOf("'\nTOKEN_FILE="));
  };

  it("are scheduled by k3s's own settings on every server, into the folder the servers seal from", async () => {
    await build({
      agents: [host("fleet-1", "203.0.113.10", true)],
      snapshots: { node: host("dr-1", "185.1.2.10"), schedule: "@daily" },
    });
    for (const n of ["osl-1", "osl-2", "osl-3"]) {
      const config = configOf(`k3s-${n}-configure`);
      assert.match(config, /^etcd-snapshot-schedule-cron: "@daily"$/m);
      assert.match(config, /^etcd-snapshot-retention: 5$/m);
      assert.match(config, /^etcd-snapshot-dir: "\/var\/lib\/rancher\/k3s\/server\/db\/snapshots"$/m);
      assert.match(config, /^etcd-snapshot-compress: true$/m);
      assert.match(
        create(`k3s-${n}-snapshot-source`),
        /SNAPSHOT_DIR='\\''\/var\/lib\/rancher\/k3s\/server\/db\/snapshots'\\''/,
      );
    }
    assert.doesNotMatch(configOf("k3s-fleet-1-configure"), /etcd-snapshot/);
  });

  it("are fetched by the backup node over the mesh with its own key, accepted only from its mesh address", async () => {
    const c = await build({});
    const target = create("k3s-snapshots");
    assert.match(
      target,
      /SOURCES='osl-1 10\.100\.0\.1 2222\nosl-2 10\.100\.0\.2 2222\nosl-3 10\.100\.0\.3 2222\n'/,
    );
    assert.match(target, /KEEP='\\''28'\\''/, "the fetch job inside it keeps 28 per server");
    const source = create("k3s-osl-2-snapshot-source");
    assert.match(source, /BACKUP_ADDRESS='10\.100\.0\.10'/);
    // The backup node's key is what its step printed (the mocks print one, as the script does).
    assert.match(source, /BACKUP_SSH_KEY='ssh-ed25519 c3NoLWtleS1rM3Mtc25hcHNob3Rz'/);
    assert.match(source, /PUBLIC_KEY='-----BEGIN PUBLIC KEY-----/);
    assert.deepStrictEqual(await dependsOnNames("k3s-osl-2-snapshot-source"), ["k3s-osl-2-configure"]);
    assert.strictEqual(await isSecret(c.snapshotPrivateKey), true);
    assert.match(await valueOf(c.snapshotPrivateKey), /PRIVATE KEY/);
  });

  const fails = (args: Partial<K3sClusterArgs>, message: RegExp) =>
    assert.throws(
      () => new K3sCluster("bad", { servers, addresses, ...args }),
      (e: Error) => {
        assert.match(e.message, message);
        return true;
      },
    );

  it("refuse a backup node the residency rules do not allow special-category data on", () =>
    fails(
      { snapshots: { node: host("fleet-1", "203.0.113.10", true) } },
      /^K3sCluster "bad" has 5 invalid inputs:\n {2}- snapshots\.node: residency rule personal-data-location: etcd snapshots "bad\/etcd-snapshots" holds special-category data \(GDPR art\. 9\) on node "fleet-1" in Sweden/,
    ));
  it("refuse a server as the backup node, and a single server (no etcd)", () => {
    fails(
      { snapshots: { node: servers[1] } },
      /^snapshots\.node: "osl-2" is a server; a snapshot kept next to the etcd it copies is lost with it: name another node$/,
    );
    fails(
      { servers: [servers[0]], snapshots: { node: host("dr-1", "185.1.2.10") } },
      /^snapshots: needs embedded etcd, which runs on three servers or more/,
    );
  });
  it("refuse a schedule k3s cannot read and a keep out of range", () =>
    fails(
      { snapshots: { node: host("dr-1", "185.1.2.10"), schedule: "0 */6 * *", keep: 0 } },
      /snapshots\.schedule: "0 \*\/6 \* \*" is not a cron schedule[^\n]*\n {2}- snapshots\.keep: 0 is not a number of snapshots; use a whole number from 1 to 1000$/,
    ));
});
