import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { render } from "../../stacks/render";
import { mocks } from "./setup";

const ROOT = path.resolve(__dirname, "../..");
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "fortress-render-"));
const listFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? listFiles(path.join(dir, e.name)).map((f) => `${e.name}/${f}`) : [e.name],
    );

describe("the offline render", function () {
  this.timeout(60_000);
  beforeEach(() => mocks.reset());

  it("writes every host's scripts of prod in the order they run, and a compliant report", async () => {
    const out = tmp();
    try {
      const result = await render("prod", out, mocks);
      assert.strictEqual(result.compliant, true);
      // No command hands its previous output (a kubeconfig, say) to the next run's environment,
      // where it would go to sshd as a setenv request.
      const commands = mocks.ofType("command:remote:Command");
      assert.ok(commands.length > 50, `${commands.length} commands`);
      for (const c of commands) assert.strictEqual(c.inputs.addPreviousOutputInEnv, false, c.name);
      const files = listFiles(out).sort();
      // Each component's steps on a host come in the order they run; components interleave.
      const steps = files
        .filter((f) => f.startsWith("hosts/osl-1/") && !f.includes("destroy"))
        .map((f) => f.replace(/^hosts\/osl-1\/\d+-/, "").replace(/\.sh$/, ""));
      assert.strictEqual(steps.length, 13, steps.join(", "));
      const before = (a: string, b: string) =>
        assert.ok(steps.indexOf(a) < steps.indexOf(b), `${a} before ${b}`);
      before("osl-1-baseline", "osl-1-firewall-confirm");
      before("osl-1-firewall-confirm", "mesh-osl-1-key");
      before("mesh-osl-1-key", "mesh-osl-1-config");
      before("mesh-osl-1-config", "k3s-osl-1-install");
      before("k3s-osl-1-install", "k3s-osl-1-configure");
      before("k3s-osl-1-configure", "k3s-kubeconfig");
      before("mesh-osl-1-config", "db-osl-1-config");
      before("db-osl-1-install", "db-osl-1-promote");
      before("db-osl-1-promote", "db-osl-1-config");
      // The mesh ports open before anyone connects: the database's once its server runs with the
      // new configuration, k3s's before it starts.
      before("db-osl-1-config", "db-osl-1-firewall");
      before("db-osl-1-firewall", "db-osl-1-accounts");
      before("k3s-osl-1-firewall", "k3s-osl-1-configure");
      before("db-osl-1-config", "db-osl-1-accounts");
      for (const host of ["osl-2", "osl-3", "dr-1", "fleet-1", "fleet-2"]) {
        assert.ok(
          files.some((f) => new RegExp(`^hosts/${host}/\\d+-k3s-${host}-configure\\.sh$`).test(f)),
          host,
        );
      }
      const configureFile = files.find((f) => /^hosts\/osl-2\/\d+-k3s-osl-2-configure\.sh$/.test(f))!;
      const configure = fs.readFileSync(path.join(out, configureFile), "utf8");
      assert.match(configure, /server: "https:\/\/10\.100\.0\.1:6443"/);
      assert.match(configure, /# standard input: <secret: not rendered>/);
      for (const object of [
        "openfaas-function-namespace",
        "openfaas-chart",
        "argo-root",
        "argo-repository",
      ]) {
        assert.ok(files.includes(`kubernetes/${object}.json`), object);
      }
      const fnNamespace = fs.readFileSync(
        path.join(out, "kubernetes/openfaas-function-namespace.json"),
        "utf8",
      );
      assert.match(fnNamespace, /"scheduler\.alpha\.kubernetes\.io\/node-selector": "region=no"/);
      const repository = JSON.parse(
        fs.readFileSync(path.join(out, "kubernetes/argo-repository.json"), "utf8"),
      ) as {
        stringData: string;
      };
      assert.strictEqual(repository.stringData, "<secret: not rendered>");
      const report = fs.readFileSync(path.join(out, "residency-report.md"), "utf8");
      assert.match(report, /Verdict: \*\*compliant\*\*/);
      assert.match(
        report,
        /\| fleet-1 \| Sweden \(eu-north-1\) \| Amazon Web Services \| United States \| US CLOUD Act \| no \|/,
      );
      assert.match(report, /```mermaid\nflowchart LR\n/);
      assert.match(report, /\| db\/dr-1 \| MySQL replica \| personal \| dr-1 \|/);
      assert.match(report, /\| db replication to dr-1 \| osl-1 \| dr-1 \| personal \| yes \| yes \|/);
      // Who can reach what: the zones, and the database port from its members only.
      const reach = report.slice(report.indexOf("## Who can reach what"));
      assert.match(reach, /^\| fleet-1 \| fleet \|$/m);
      assert.match(reach, /^\| osl-1 \| fortress \|$/m);
      const onPrimary = reach.slice(reach.indexOf("### osl-1 (fortress)"), reach.indexOf("### osl-2"));
      assert.match(onPrimary, /^\| 3306\/tcp \| mysql \| GtidMySql "db" \| dr-1, osl-2 \| - \|$/m);
      assert.match(onPrimary, /^\| 6443\/tcp \| k3s-api \| K3sCluster "k3s" \| [^|]*fleet-1[^|]*\| - \|$/m);
      assert.doesNotMatch(onPrimary.split("\n").find((l) => l.includes("mysql")) ?? "", /fleet/);
      // The backups at the second Norwegian site, and their flow, as the auditor sees them.
      assert.match(report, /\| db\/backups \| MySQL backups \| personal \| dr-1 \|/);
      assert.match(report, /\| db backups to dr-1 \| osl-1 \| dr-1 \| personal \| yes \| yes \|/);
      // The platform: its namespaces with the evidence of their pinning and the nodes that selects,
      // and the Argo CD root Application as a target that cannot be judged, never a pass.
      assert.match(
        report,
        /^\| openfaas\/openfaas-fn \| OpenFaaS function namespace \| personal \| region=no \(selects osl-1, osl-2, osl-3, dr-1\) \| pass \| namespace openfaas-fn carries the PodNodeSelector annotation region=no, /m,
      );
      assert.match(
        report,
        /^\| argo\/argocd \| Argo CD namespace \| special \| region=no \(selects osl-1, osl-2, osl-3, dr-1\) \| pass \|/m,
      );
      assert.match(
        report,
        /^\| argo\/infrastructure-root \| Argo CD Application \(app-of-apps root\) \| git@github.com:example-org\/infra.git, path applications\/overlays\/production, revision main \| https:\/\/kubernetes.default.svc \(the cluster Argo CD runs in\), namespace argocd \| cannot be judged: it deploys whatever the repository holds /m,
      );
      assert.match(report, /What one target deploys from elsewhere cannot be judged/);
      const json = JSON.parse(fs.readFileSync(path.join(out, "residency-report.json"), "utf8")) as {
        compliant: boolean;
        targets: { name: string; verdict: string }[];
      };
      assert.strictEqual(json.compliant, true);
      assert.deepStrictEqual(
        json.targets.map((t) => [t.name, t.verdict.split(":")[0]]),
        [["argo/infrastructure-root", "cannot be judged"]],
      );
      // No secret in any file: the mocks' passwords and keys would show here.
      const all = files.map((f) => fs.readFileSync(path.join(out, f), "utf8")).join("\n");
      assert.doesNotMatch(all, /password-|PRIVATE KEY-----\n[^-]/);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("renders every stack", async () => {
    for (const stack of ["dev", "staging", "lab"]) {
      const out = tmp();
      try {
        mocks.reset();
        const result = await render(stack, out, mocks);
        assert.strictEqual(result.compliant, true, stack);
        assert.ok(
          result.files.some((f) => f.endsWith("-baseline.sh")),
          stack,
        );
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    }
  });

  it("exits non-zero and names the rule and the node when a mandatory rule is violated", () => {
    const dir = tmp();
    try {
      const bad = path.join(dir, "Pulumi.bad.yaml");
      fs.writeFileSync(
        bad,
        fs
          .readFileSync(path.join(ROOT, "stacks/Pulumi.staging.yaml"), "utf8")
          .replace("servers: [osl-stg-1]", "servers: [fleet-stg-1]")
          .replace("agents: [osl-stg-2, fleet-stg-1]", "agents: [osl-stg-1, osl-stg-2]"),
      );
      const r = spawnSync(
        path.join(ROOT, "node_modules/.bin/ts-node"),
        ["--transpile-only", "stacks/render.ts", "bad", "--config", bad, "--out", path.join(dir, "out")],
        { cwd: ROOT, encoding: "utf8" },
      );
      assert.strictEqual(r.status, 1, r.stderr);
      assert.match(
        r.stderr,
        /fortress render: bad: fortress:k3s\.servers: residency rule control-plane-location: Kubernetes control plane "k3s" runs a server on node "fleet-stg-1" in Sweden/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
