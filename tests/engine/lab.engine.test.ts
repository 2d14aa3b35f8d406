// The `lab` stack through the real engine: the Pulumi CLI (stacks/pulumi-cli.sh), real provider
// plugins (from $FORTRESS_PLUGIN_DIR), the driver's inline program and the residency pack loaded by
// the CLI, onto real lab hosts. See tests/engine/README.md for what it needs.
import * as assert from "assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import {
  POLICY_PACK_DIR,
  REPO_ROOT,
  engineEnv,
  installPlugins,
  openStack,
  pulumiCli,
  summaryLine,
} from "../../stacks/engine";
import { LAB_ID, LAB_PRIVATE_KEY_PATH, Lab, assertHostLayerRemoved, startLab } from "../lab/harness";

const NAMES = ["alfa", "bravo", "charlie"];
const STACK_FILE = path.join(REPO_ROOT, "stacks", "Pulumi.lab.yaml");
const PLUGINS_NEEDED = ["command", "random", "tls"];

describe("the lab stack through the real Pulumi engine", function () {
  let lab: Lab;
  let stack: Stack;
  let cli: PulumiCommand;
  let env: Record<string, string>;
  let stackFile: string;
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-engine-"));
  const timings: string[] = [];
  let lastSeconds = 0;
  const output: string[] = [];
  const capture = { onOutput: (o: string) => output.push(o) };
  const policy = { policyPacks: [POLICY_PACK_DIR] };

  /** Runs one step, prints its time and the CLI's summary line. */
  async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
    output.length = 0;
    const start = Date.now();
    try {
      return await run();
    } finally {
      const s = (lastSeconds = (Date.now() - start) / 1000);
      timings.push(`${what}: ${s.toFixed(1)} s`);
      console.log(`    ${what}: ${s.toFixed(1)} s`);
    }
  }
  /** Successful SSH logins on a host so far (sshd's journal). */
  const logins = async (name: string) =>
    Number(
      (
        await lab
          .host(name)
          .exec("journalctl -u ssh.service -o cat --no-pager | grep -c 'Accepted publickey' || true")
      ).stdout.trim(),
    );
  const sql = (name: string, query: string) =>
    lab
      .host(name)
      .exec(`mariadb -N -B -e ${JSON.stringify(query)}`)
      .then((r) => r.stdout.trim());

  before(async function () {
    if (LAB_ID !== "0")
      throw new Error("the lab stack's hosts are 10.231.0.x: run the engine suite with lab id 0");
    process.env.PULUMI_BACKEND_URL = `file://${state}`;
    process.env.PULUMI_CONFIG_PASSPHRASE = "engine-suite-passphrase";
    process.env.PULUMI_HOME = path.join(state, "home");
    env = engineEnv();
    cli = await pulumiCli();
    const plugins = installPlugins(cli, env, process.env.FORTRESS_PLUGIN_DIR, PLUGINS_NEEDED);
    if (plugins.missing.length) {
      throw new Error(
        `missing provider plugins: ${plugins.missing.map((p) => `${p.name} ${p.version}`).join(", ")}. ` +
          "Put pulumi-resource-<name> binaries in a folder and set FORTRESS_PLUGIN_DIR to it " +
          "(the registries here do not serve the command, random and tls providers; see tests/engine/README.md)",
      );
    }
    // The CLI writes the stack's encryption salt and the secret key into the stack file: keep the
    // committed one and put it back afterwards.
    stackFile = fs.readFileSync(STACK_FILE, "utf8");
    lab = await startLab(NAMES);
    stack = await openStack("lab", cli, env);
    await stack.setConfig("fortress:sshPrivateKey", {
      value: fs.readFileSync(LAB_PRIVATE_KEY_PATH, "utf8"),
      secret: true,
    });
  });
  after(async function () {
    if (stackFile !== undefined) fs.writeFileSync(STACK_FILE, stackFile);
    await lab?.stop();
    console.log(`    timings: ${timings.join("; ")}`);
    fs.rmSync(state, { recursive: true, force: true });
  });

  it("up from nothing: hosts baselined, the mesh up, MariaDB replicating", async function () {
    const result = await step("up from nothing", () => stack.up({ ...capture, ...policy }));
    console.log(`    ${summaryLine("up", "lab", result.summary.resourceChanges ?? {}, lastSeconds)}`);
    assert.ok(
      (result.summary.resourceChanges?.create ?? 0) > 30,
      JSON.stringify(result.summary.resourceChanges),
    );
    // Outputs the lab stack does not have (no k3s, OpenFaaS or Argo) are left out, not warned about.
    assert.doesNotMatch(output.join(""), /will not show as a stack output/);
    assert.deepStrictEqual(Object.keys(result.outputs).sort(), [
      "databaseAdminPassword",
      "databasePrimary",
      "databaseReplicas",
      "meshAddresses",
      "nodes",
      "residency",
    ]);
    assert.strictEqual(result.outputs.databaseAdminPassword.secret, true);
    const mesh = (result.outputs.meshAddresses?.value ?? {}) as Record<string, string>;
    assert.deepStrictEqual(Object.keys(mesh).sort(), NAMES);
    for (const from of NAMES) {
      assert.match((await lab.host(from).exec("nft list chain inet fortress input")).stdout, /policy drop;/);
      for (const to of NAMES.filter((n) => n !== from)) {
        await lab.host(from).exec(`ping -c 1 -W 2 ${mesh[to]}`);
      }
    }
    await sql(
      "alfa",
      "CREATE DATABASE engine_suite; CREATE TABLE engine_suite.t (id INT PRIMARY KEY); INSERT INTO engine_suite.t VALUES (1), (2);",
    );
    for (const r of ["bravo", "charlie"]) {
      const deadline = Date.now() + 30_000;
      let n = "";
      while (n !== "2" && Date.now() < deadline)
        n = await sql(r, "SELECT COUNT(*) FROM engine_suite.t").catch(() => "");
      assert.strictEqual(n, "2", `rows did not reach ${r}`);
    }
  });

  it("a second up changes nothing and opens no SSH session", async function () {
    const before = await Promise.all(NAMES.map(logins));
    const result = await step("second up", () => stack.up({ ...capture, ...policy }));
    const changes = result.summary.resourceChanges ?? {};
    console.log(`    ${summaryLine("up", "lab", changes, lastSeconds)}`);
    assert.deepStrictEqual(Object.keys(changes), ["same"], JSON.stringify(changes));
    // The only new login on each host is the one that counts them.
    assert.deepStrictEqual(
      await Promise.all(NAMES.map(logins)),
      before.map((n) => n + 1),
    );
  });

  it("the stack's state holds no secret in clear", function () {
    const plain = execFileSync(cli.command, ["stack", "export", "-s", "lab"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
    const revealedText = execFileSync(cli.command, ["stack", "export", "-s", "lab", "--show-secrets"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
      env: { ...process.env, ...env },
      maxBuffer: 64 << 20,
    });
    const revealed = JSON.parse(revealedText) as unknown;
    const secrets = secretStrings(revealed);
    console.log(`    ${secrets.length} secret values checked`);
    assert.ok(secrets.length >= 5, `too few secrets found to check: ${secrets.length}`);
    // A private key embedded in a larger value (a script, say) shows its PEM header and body; in
    // JSON text, however deep it nests, the newline after the header is backslashes and an n.
    const privateKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----(\\)+n[A-Za-z0-9+/]{20}/;
    assert.notStrictEqual(revealedText.search(privateKey), -1, "the check would not see a private key");
    const pem = plain.search(privateKey);
    assert.strictEqual(
      pem,
      -1,
      `a private key is in clear in the state after: ${plain.slice(Math.max(0, pem - 400), pem)}`,
    );
    for (const s of secrets) {
      const at = plain.indexOf(s);
      // The text before it names the property; the secret itself is not printed.
      assert.strictEqual(
        at,
        -1,
        `a secret (${s.slice(0, 4)}...) is in clear in the state after: ${plain.slice(Math.max(0, at - 300), at)}`,
      );
    }
  });

  /** Runs an operation that must fail; returns its error and what the CLI printed. */
  const refused = async (what: string, run: () => Promise<unknown>) => {
    const err = await step(what, () =>
      run().then(
        () => undefined,
        (e: unknown) => e as Error,
      ),
    );
    assert.ok(err, `${what}: it went through`);
    return output.join("") + err.message;
  };
  const GERMAN_REPLICA =
    /personal-data-location: MySQL replica "db\/charlie" holds personal data on node "charlie" in Germany/;

  it("a replica moved outside Norway is refused before any host is touched: by the program, and by the pack alone", async function () {
    const before = await Promise.all(NAMES.map(logins));
    const current = fs.readFileSync(STACK_FILE, "utf8");
    const moved = current.replace(
      /(- name: charlie\n\s+placement: )\{[^}]*\}/,
      '$1{ country: "DE", provider: hetzner, region: fsn1, site: Falkenstein }',
    );
    assert.notStrictEqual(moved, current);
    fs.writeFileSync(STACK_FILE, moved);
    try {
      // The stack program checks the whole topology from config before it registers anything.
      const byProgram = await refused("up refused by the program", () => stack.up({ ...capture, ...policy }));
      assert.match(byProgram, GERMAN_REPLICA);
      assert.doesNotMatch(byProgram, /Unhandled exception|\n\s+at /, "a config error printed a stack trace");
      // With the program's own check advisory, the pack's resource policy must refuse it alone,
      // at preview and under `up` (which the Automation API runs with --skip-preview).
      const advisory = { "personal-data-location": "advisory", "replication-target": "advisory" };
      await stack.setConfig("fortress:enforcement", { value: JSON.stringify(advisory) });
      for (const [what, run] of [
        ["preview refused by the pack", () => stack.preview({ ...capture, ...policy })],
        ["up --skip-preview refused by the pack", () => stack.up({ ...capture, ...policy })],
      ] as const) {
        const byPack = await refused(what, run);
        assert.match(byPack, /\[mandatory\]\s+fortress-residency-before-create/);
        assert.match(byPack, GERMAN_REPLICA);
      }
      // The only new login on each host is the one that counts them.
      assert.deepStrictEqual(
        await Promise.all(NAMES.map(logins)),
        before.map((n) => n + 1),
        "a host was touched",
      );
    } finally {
      fs.writeFileSync(STACK_FILE, current);
    }
  });

  it("destroy runs every teardown", async function () {
    const result = await step("destroy", () => stack.destroy(capture));
    console.log(`    ${summaryLine("destroy", "lab", result.summary.resourceChanges ?? {}, lastSeconds)}`);
    for (const name of NAMES) await assertHostLayerRemoved(lab.host(name));
  });
});

/** Every string value that the engine marked secret in a `stack export --show-secrets`. */
function secretStrings(node: unknown, out: string[] = [], inSecret = false): string[] {
  if (typeof node === "string") {
    if (inSecret && node.length >= 12 && !out.includes(node)) out.push(node);
  } else if (Array.isArray(node)) {
    for (const v of node) secretStrings(v, out, inSecret);
  } else if (node && typeof node === "object") {
    const o = node as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_SIG_VALUE && typeof o.plaintext === "string") {
      secretStrings(JSON.parse(o.plaintext) as unknown, out, true);
    } else for (const v of Object.values(o)) secretStrings(v, out, inSecret);
  }
  return out;
}
/** How Pulumi's state marks a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG_VALUE = "1b47061264138c4ac30d75fd1eb44270";
