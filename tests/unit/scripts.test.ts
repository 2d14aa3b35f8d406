import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  renderBaselineScript,
  renderFirewallConfirmScript,
  renderMeshFirewallScript,
  renderTeardownScript,
} from "../../components/kvmNode/scripts";
import { InputProblems } from "../../sdk/errors";
import { renderFirewallRuleset, resolveHostBaseline } from "../../sdk/host";
import { bashCommand, forgetScriptMemos, renderScriptFile, renderTemplate } from "../../sdk/scripts/render";
import {
  renderApplyScript,
  renderKeyRemoveScript,
  renderKeygenScript,
  renderTeardownScript as renderMeshTeardownScript,
} from "../../components/wireGuardMesh/scripts";
import { renderWireGuardConfig } from "../../sdk/wireguard";
import * as k3s from "../../components/k3sCluster/scripts";
import { K3S_SNAPSHOT_DIR, k3sConfig, planK3sJoin, renderYaml } from "../../sdk/k3s";
import * as gtidMySql from "../../components/gtidMySql/scripts";
import { MySqlFlavour, mySqlConfig, renderMyCnf } from "../../sdk/mysql";

const ROOT = path.resolve(__dirname, "../..");

const spec = (firewall = {}) => {
  const problems = new InputProblems();
  const s = resolveHostBaseline(
    { sshPort: 22, extraPackages: ["wireguard-tools"], firewall: { allowedTcpPorts: [443], ...firewall } },
    problems,
  );
  problems.throwIfAny("test");
  return s;
};

/**
 * Every script template a component ships, rendered the ways it can be. A new template without
 * an entry here fails the coverage test below, so no script escapes shellcheck.
 */
const RENDERED: Record<string, string[]> = {
  "components/kvmNode/baseline.sh": [
    renderBaselineScript(spec()),
    renderBaselineScript(spec({ enabled: false })),
  ],
  "components/kvmNode/firewall-confirm.sh": [renderFirewallConfirmScript(spec())],
  "components/kvmNode/teardown.sh": [renderTeardownScript()],
  "components/kvmNode/mesh-firewall.sh": [
    renderMeshFirewallScript("/etc/fortress/firewall.d/20-mysql-db.nft", "table inet fortress {\n}\n", "t"),
    renderMeshFirewallScript("/etc/fortress/firewall.d/20-mysql-db.nft", "", "t"),
  ],
  "components/wireGuardMesh/keygen.sh": [renderKeygenScript(), renderKeygenScript(2)],
  "components/wireGuardMesh/keyremove.sh": [renderKeyRemoveScript()],
  "components/wireGuardMesh/apply.sh": [renderApplyScript(meshConfig(), "10.100.0.1", 24, 51820)],
  "components/wireGuardMesh/teardown.sh": [renderMeshTeardownScript()],
  ...k3sScripts(),
  ...gtidMySqlScripts(),
};

/** Both flavours, both roles: MySQL 8.0 cannot run on the offline lab, so this is its check. */
function gtidMySqlScripts(): Record<string, string[]> {
  const flavours = [MySqlFlavour.Mysql84, MySqlFlavour.Mysql80, MySqlFlavour.MariaDb];
  const roles = ["primary", "replica"] as const;
  const each = <T>(f: (flavour: MySqlFlavour, role: (typeof roles)[number]) => T): T[] =>
    flavours.flatMap((flavour) => roles.map((role) => f(flavour, role)));
  const node = { serverId: 7, bindAddress: "10.100.0.1", port: 3306 };
  const backup = (flavour: MySqlFlavour) => ({
    flavour,
    database: "db",
    primary: "10.100.0.1",
    port: 3306,
    caPem: "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n",
    publicKeyPem: "-----BEGIN PUBLIC KEY-----\nkey\n-----END PUBLIC KEY-----\n",
    onCalendar: "*-*-* 02:30:00",
    keep: 14,
  });
  return {
    "components/gtidMySql/install.sh": flavours.map((f) => gtidMySql.renderInstallScript(f)),
    "components/gtidMySql/configure.sh": each((flavour, role) =>
      gtidMySql.renderConfigureScript({
        flavour,
        role,
        ...node,
        myCnf: renderMyCnf(mySqlConfig({ flavour, role, ...node, binlogRetentionDays: 7 })),
        caPem: "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n",
        certPem: "-----BEGIN CERTIFICATE-----\nserver\n-----END CERTIFICATE-----\n",
        meshInterface: "wg0",
        replicas: 2,
      }),
    ),
    "components/gtidMySql/replication.sh": each((flavour, role) =>
      gtidMySql.renderReplicationScript({
        flavour,
        role,
        source: role === "replica" ? { host: "10.100.0.1", port: 3306 } : undefined,
        accountHosts: { admin: ["10.100.0.1", "10.100.0.2"], replication: ["10.100.0.2"] },
      }),
    ),
    // A switchover, and a failover from a primary that is gone.
    "components/gtidMySql/promote.sh": flavours.flatMap((flavour) =>
      [undefined, { name: "osl-1", address: "10.100.0.9" }].map((failed) =>
        gtidMySql.renderPromoteScript({
          flavour,
          demoted: [
            {
              name: "osl-2",
              address: "10.100.0.1",
              gtids:
                flavour === MySqlFlavour.MariaDb ? "0-7-42" : "3E11FA47-71CA-11E1-9E33-C80AA9429562:1-42",
            },
            { name: "osl-3", address: "10.100.0.3", gtids: "" },
          ],
          ...(failed ? { failed } : {}),
        }),
      ),
    ),
    "components/gtidMySql/guard.sh": flavours.map((f) => gtidMySql.renderGuardScript(f)),
    "components/gtidMySql/fenced.sh": [gtidMySql.renderFencedScript("osl-1")],
    "components/gtidMySql/demote.sh": flavours.map((f) => gtidMySql.renderDemoteScript(f)),
    "components/gtidMySql/backup-target.sh": flavours.map((f) =>
      gtidMySql.renderBackupTargetScript(backup(f)),
    ),
    "components/gtidMySql/backup-job.sh": flavours.map((f) => gtidMySql.renderBackupJobScript(backup(f))),
    "components/gtidMySql/backup-teardown.sh": [gtidMySql.renderBackupTeardownScript("db")],
    "components/gtidMySql/restore.sh": flavours.map((f) => gtidMySql.renderRestoreScript(f)),
    "components/gtidMySql/teardown.sh": each((flavour, role) =>
      gtidMySql.renderTeardownScript(flavour, role),
    ),
  };
}

function k3sScripts(): Record<string, string[]> {
  const [server, agent] = planK3sJoin(["osl-1"], ["fleet-1"]);
  const upstream = { version: "v1.36.4+k3s1", mirror: "", installScriptUrl: "https://get.k3s.io" };
  const mirror = { ...upstream, mirror: "https://mirror.example.no/k3s" };
  const config = renderYaml(
    k3sConfig({
      plan: server,
      meshAddress: "10.100.0.1",
      publicAddress: "192.0.2.1",
      meshInterface: "wg0",
      labels: { region: "no" },
      taints: [],
      tlsSans: ["10.100.0.1"],
      disable: ["traefik"],
      tokenFile: "/etc/rancher/k3s/token",
      snapshots: { schedule: "0 */6 * * *" },
    }),
  );
  const policy = { version: "v1.36.4+k3s1", servers: ["osl-1", "osl-2", "osl-3"], slots: 20, agents: 100 };
  const source = {
    cluster: "k3s",
    snapshotDir: K3S_SNAPSHOT_DIR,
    publicKeyPem: "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
    backupAddress: "10.100.0.10",
    backupSshKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB",
  };
  const servers = [{ name: "osl-1", meshAddress: "10.100.0.1", sshPort: 22 }];
  return {
    "components/k3sCluster/install.sh": [
      k3s.renderInstallScript(server, upstream),
      k3s.renderInstallScript(agent, mirror),
    ],
    "components/k3sCluster/configure.sh": [
      k3s.renderConfigureScript(server, config, policy),
      k3s.renderConfigureScript(agent, config, policy),
    ],
    "components/k3sCluster/kubeconfig.sh": [k3s.renderKubeconfigScript("185.1.2.1")],
    "components/k3sCluster/uninstall.sh": [
      k3s.renderUninstallScript(server),
      k3s.renderUninstallScript(agent),
    ],
    "components/k3sCluster/snapshot-outbox.sh": [k3s.renderSnapshotOutboxScript("k3s", K3S_SNAPSHOT_DIR)],
    "components/k3sCluster/snapshot-source.sh": [k3s.renderSnapshotSourceScript(source)],
    "components/k3sCluster/snapshot-fetch.sh": [k3s.renderSnapshotFetchScript("k3s", 28)],
    "components/k3sCluster/snapshot-target.sh": [k3s.renderSnapshotTargetScript("k3s", servers, 28)],
    "components/k3sCluster/snapshot-teardown.sh": [
      k3s.renderSnapshotTeardownScript("k3s", "source"),
      k3s.renderSnapshotTeardownScript("k3s", "target"),
    ],
  };
}

function meshConfig(
  peerKey = "xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=",
  homeKey = "TrMvSoP4jYQlY6RIzBgbssQqY3vxI2Pi+y71lOWWXX0=",
): string {
  return renderWireGuardConfig({ name: "osl-1", address: "10.100.0.1", prefix: 24, listenPort: 51820 }, [
    { name: "osl-2", publicKey: peerKey, address: "10.100.0.2", endpoint: "192.0.2.2:51820" },
    { name: "home", publicKey: homeKey, address: "10.100.0.3", persistentKeepalive: 25 },
  ]);
}

function templatesOnDisk(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return templatesOnDisk(full);
    return e.name.endsWith(".sh") ? [path.relative(ROOT, full)] : [];
  });
}

describe("rendered host scripts", () => {
  it("cover every script template in components/", () => {
    assert.deepStrictEqual(
      Object.keys(RENDERED).sort(),
      templatesOnDisk(path.join(ROOT, "components")).sort(),
    );
  });

  for (const [template, scripts] of Object.entries(RENDERED)) {
    scripts.forEach((script, i) => {
      it(`${template} #${i + 1} passes shellcheck with no finding at any severity`, () => {
        const r = spawnSync("shellcheck", ["--shell=bash", "--severity=style", "--external-sources", "-"], {
          input: script,
          encoding: "utf8",
        });
        assert.ok(
          !r.error,
          `shellcheck could not run (${String(r.error)}); install it: apt-get install shellcheck`,
        );
        assert.strictEqual(r.stdout + r.stderr, "");
        assert.strictEqual(r.status, 0);
      });

      it(`${template} #${i + 1} is strict bash with no placeholder left`, () => {
        assert.match(script, /^#!\/usr\/bin\/env bash\n/);
        assert.match(script, /\nset -euo pipefail\n/);
        assert.doesNotMatch(script, /@@[A-Z_]+@@/);
        assert.doesNotMatch(script, /# @fortress-common/);
        execFileSync("bash", ["-n"], { input: script });
      });
    });
  }
});

describe("the command line that carries a script to a host", () => {
  const script = [
    "#!/usr/bin/env bash",
    "set -euo pipefail",
    "quote='it'\\''s \"$HOME\" `x` \\n'",
    "read -r secret",
    'printf \'%s|%s|%s\\n\' "$0" "$quote" "${#secret}"',
    "",
  ].join("\n");

  it("runs the script verbatim under any POSIX login shell, with stdin left for secrets", () => {
    for (const shell of ["sh", "bash"]) {
      const out = execFileSync(shell, ["-c", bashCommand(script, "root", "fortress-demo")], {
        input: "s3cret\n",
        encoding: "utf8",
      });
      assert.strictEqual(out, 'fortress-demo|it\'s "$HOME" `x` \\n|6\n');
    }
  });

  it("goes through sudo for another user and refuses a script that could end the here-document", () => {
    assert.match(bashCommand(script, "debian", "x"), /^sudo -n bash -c "\$\(cat <<'FORTRESS_SCRIPT_END'\n/);
    assert.throws(() => bashCommand("echo\nFORTRESS_SCRIPT_END\necho", "root", "x"), /must not contain/);
  });

  // Both are remembered per input (a hundred agents share most of their scripts); a remembered
  // answer must be the one its own inputs give, and a refusal must not be remembered away.
  it("gives each script, user and name its own command line however often it is asked", () => {
    const runs = (s: string, user: string, name: string) => bashCommand(s, user, name);
    const a = runs(script, "root", "fortress-a");
    for (let i = 0; i < 3; i++) {
      assert.strictEqual(runs(script, "root", "fortress-a"), a);
      assert.strictEqual(runs(script, "debian", "fortress-a"), `sudo -n ${a}`);
      assert.ok(runs(script, "root", "fortress-b").endsWith(" 'fortress-b'"));
      assert.ok(
        runs(`${script}echo more\n`, "root", "fortress-a").includes("\necho more\nFORTRESS_SCRIPT_END\n"),
      );
      assert.ok(
        runs("echo no newline", "root", "fortress-a").includes("\necho no newline\nFORTRESS_SCRIPT_END\n"),
      );
      assert.throws(() => runs("echo\nFORTRESS_SCRIPT_END\necho", "root", "x"), /must not contain/);
    }
  });

  it("fills a template with each call's own values, and refuses a missing or unused value every time", () => {
    const template = "#!/usr/bin/env bash\nA=@@A@@\nB=@@B@@\n";
    for (let i = 0; i < 3; i++) {
      assert.strictEqual(
        renderTemplate(template, { A: "1", B: "x y" }),
        "#!/usr/bin/env bash\nA='1'\nB='x y'\n",
      );
      assert.strictEqual(
        renderTemplate(template, { A: "1 x", B: "y" }),
        "#!/usr/bin/env bash\nA='1 x'\nB='y'\n",
      );
      assert.strictEqual(renderTemplate(template, { A: 2, B: "y" }), "#!/usr/bin/env bash\nA='2'\nB='y'\n");
      assert.throws(() => renderTemplate(template, { A: "1" }), /needs a value for @@B@@/);
      assert.throws(() => renderTemplate(template, { A: "1", B: "x y", C: "z" }), /no placeholder for C/);
      // Values that join to the same text stay apart; a placeholder used twice takes one value.
      const twice = "A=@@A@@\nB=@@B@@\nC=@@A@@\n";
      assert.strictEqual(renderTemplate(twice, { A: "a", B: "bc" }), "A='a'\nB='bc'\nC='a'\n");
      assert.strictEqual(renderTemplate(twice, { A: "ab", B: "c" }), "A='ab'\nB='c'\nC='ab'\n");
      assert.throws(() => renderTemplate(twice, { A: "a", C: "z" }), /needs a value for @@B@@/);
      assert.throws(() => renderTemplate(twice, { A: "a", B: "b", C: "z" }), /no placeholder for C/);
    }
  });

  it("reads a template once per process, and again after forgetScriptMemos (as a new process would)", () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fortress-tpl-")), "t.sh");
    fs.writeFileSync(file, "A=@@A@@\n");
    assert.strictEqual(renderScriptFile(file, { A: "1" }), "A='1'\n");
    fs.writeFileSync(file, "B=@@A@@\n");
    assert.strictEqual(renderScriptFile(file, { A: "1" }), "A='1'\n");
    forgetScriptMemos();
    assert.strictEqual(renderScriptFile(file, { A: "1" }), "B='1'\n");
  });
});

describe("the rendered WireGuard configuration", () => {
  it("is accepted by the real wg on a real (userspace) interface, in a network namespace of its own", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-wg-"));
    try {
      const newPublicKey = () =>
        execFileSync("sh", ["-c", "wg genkey | wg pubkey"], { encoding: "utf8" }).trim();
      const peer = newPublicKey();
      const privateKey = execFileSync("wg", ["genkey"], { encoding: "utf8" }).trim();
      // As the apply script does on the host: the private key right after [Interface].
      const conf = meshConfig(peer, newPublicKey()).replace(
        "[Interface]",
        `[Interface]\nPrivateKey = ${privateKey}`,
      );
      fs.writeFileSync(path.join(dir, "wg0.conf"), conf, { mode: 0o600 });
      const shown = execFileSync(
        "unshare",
        [
          "--net",
          "bash",
          "-c",
          `wireguard-go -f wgt >/dev/null 2>&1 & pid=$!
           for _ in $(seq 50); do ip link show wgt >/dev/null 2>&1 && break; sleep 0.1; done
           wg setconf wgt <(wg-quick strip ${dir}/wg0.conf) && wg showconf wgt; status=$?
           kill $pid; exit $status`,
        ],
        { encoding: "utf8" },
      );
      assert.match(shown, /ListenPort = 51820/);
      assert.match(
        shown,
        new RegExp(
          `PublicKey = ${peer.replace(/[+/]/g, "\\$&")}\nAllowedIPs = 10\.100\.0\.2/32\nEndpoint = 192\.0\.2\.2:51820`,
        ),
      );
      assert.match(shown, /AllowedIPs = 10\.100\.0\.3\/32\nPersistentKeepalive = 25/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the firewall ruleset", () => {
  it("is accepted by the real nft, in a network namespace of its own", function () {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-nft-"));
    try {
      const file = path.join(dir, "firewall.nft");
      fs.mkdirSync(path.join(dir, "firewall.d"));
      fs.writeFileSync(
        path.join(dir, "firewall.d", "10-mesh.nft"),
        "add element inet fortress udp_ports { 51820 }\n",
      );
      const ruleset = renderFirewallRuleset({
        ...spec({ allowedUdpPorts: [53], trustedInterfaces: ["wg0"] }).firewall,
      }).replace("/etc/fortress/firewall.d/", `${dir}/firewall.d/`);
      fs.writeFileSync(file, ruleset);
      // Apply it for real inside a throwaway namespace and read back what the kernel holds.
      const listed = execFileSync(
        "unshare",
        ["--net", "sh", "-c", `nft -f ${file} && nft list table inet fortress`],
        {
          encoding: "utf8",
        },
      );
      assert.match(listed, /policy drop;/);
      assert.match(listed, /elements = \{ 22, 443 \}/);
      assert.match(listed, /elements = \{ 53, 51820 \}/);
      assert.match(listed, /elements = \{ "wg0" \}/);
      // Applying twice is the same as once: the file recreates only its own table.
      const twice = execFileSync(
        "unshare",
        ["--net", "sh", "-c", `nft -f ${file} && nft -f ${file} && nft list ruleset | grep -c 'chain input'`],
        { encoding: "utf8" },
      );
      assert.strictEqual(twice.trim(), "1");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps established connections and SSH ahead of everything else", () => {
    const rules = renderFirewallRuleset(spec().firewall)
      .split("\n")
      .map((l) => l.trim());
    const at = (rule: string) => rules.indexOf(rule);
    assert.ok(at("ct state established,related accept") > 0);
    assert.ok(at("ct state established,related accept") < at("tcp dport @tcp_ports accept"));
    assert.ok(at("tcp dport @tcp_ports accept") < at("udp dport @udp_ports accept"));
  });
});
