// The residency pack in the real Pulumi CLI (built from Go modules by stacks/pulumi-cli.sh), as a
// user loads it: from this repo, and from the published package after `npm pack` + `npm install`.
// Needs no provider plugin (the programs here have no custom resources), so CI runs it.
import * as assert from "assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import { POLICY_PACK_DIR, REPO_ROOT, engineEnv, pulumiCli } from "../../stacks/engine";

describe("the residency pack in the real Pulumi CLI", function () {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-pack-"));
  let cli: PulumiCommand;
  let env: Record<string, string>;

  before(async function () {
    process.env.PULUMI_BACKEND_URL = `file://${path.join(tmp, "state")}`;
    process.env.PULUMI_CONFIG_PASSPHRASE = "pack-suite-passphrase";
    process.env.PULUMI_HOME = path.join(tmp, "home");
    fs.mkdirSync(path.join(tmp, "state"));
    env = engineEnv();
    cli = await pulumiCli();
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  /** Previews a program in a project of its own with the given pack; returns the CLI's output. */
  async function preview(
    project: string,
    program: () => void,
    pack: string,
    extraEnv: Record<string, string>,
  ) {
    const workDir = path.join(tmp, project);
    fs.mkdirSync(workDir, { recursive: true });
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: "check", projectName: project, program: () => Promise.resolve(program()) },
      { workDir, pulumiCommand: cli, envVars: { ...env, ...extraEnv } },
    );
    let out = "";
    try {
      await stack.preview({ policyPacks: [pack], onOutput: (o) => (out += o) });
      return { out, failed: false };
    } catch (e) {
      return { out: out + String(e), failed: true };
    }
  }

  it("loads from the repo: the CLI runs it on a preview", async function () {
    const r = await preview("from-repo", () => undefined, POLICY_PACK_DIR, {});
    assert.strictEqual(r.failed, false, r.out);
    assert.match(r.out, /fortress-residency/);
  });

  it("refuses a Fortress database whose replica is in Germany, from the repo", async function () {
    const r = await preview(
      "violation",
      () => {
        const placement = (country: string, provider: string, region: string) => ({
          country,
          provider,
          region,
        });
        new pulumi.ComponentResource("fortress:index:GtidMySql", "db", {
          primary: { name: "osl-1", placement: placement("NO", "coolvds", "no-oslo-1") },
          replicas: [{ name: "fsn-1", placement: placement("DE", "hetzner", "fsn1") }],
          dataClass: "personal",
        });
      },
      POLICY_PACK_DIR,
      {},
    );
    assert.strictEqual(r.failed, true, r.out);
    assert.match(r.out, /fortress-residency-before-create/);
    assert.match(
      r.out,
      /personal-data-location: MySQL replica "db\/fsn-1" holds personal data on node "fsn-1" in Germany/,
    );
  });

  it("loads from the published package: npm pack, npm install, --policy-pack node_modules/fortress/bin/sdk/policy", async function () {
    this.timeout(600_000);
    execFileSync("npm", ["run", "build"], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] });
    const tarball = execFileSync("npm", ["pack", "--silent", "--pack-destination", tmp], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    }).trim();
    const consumer = path.join(tmp, "consumer");
    fs.mkdirSync(consumer);
    fs.writeFileSync(
      path.join(consumer, "package.json"),
      JSON.stringify({ name: "consumer", private: true }),
    );
    // What a consumer does; the npm cache already holds every dependency (`npm ci` ran).
    execFileSync(
      "npm",
      ["install", "--prefer-offline", "--no-audit", "--no-fund", "--omit=dev", path.join(tmp, tarball)],
      { cwd: consumer, stdio: ["ignore", "ignore", "inherit"] },
    );
    const pack = path.join(consumer, "node_modules", "fortress", "bin", "sdk", "policy");
    assert.ok(fs.existsSync(path.join(pack, "PulumiPolicy.yaml")), "the package has no policy pack");
    // The launcher comes from the package's bin, as npm links it for a consumer.
    const bin = path.join(consumer, "node_modules", ".bin");
    assert.ok(
      fs.existsSync(path.join(bin, "pulumi-analyzer-policy-nodejs")),
      "npm did not link the launcher",
    );
    const r = await preview("from-package", () => undefined, pack, {
      PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
    });
    assert.strictEqual(r.failed, false, r.out);
    assert.match(r.out, /fortress-residency/);
  });
});
