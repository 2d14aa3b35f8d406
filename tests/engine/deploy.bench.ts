// `npm run bench:lab`: the first deployment of 3 and of 6 lab hosts (host layer, mesh, MariaDB
// primary and replicas) through the real Pulumi engine, and the critical path of each: commands on
// the longest chain of the dependencies in the state (the same graph math as `npm run bench`), and
// the heaviest chain by the time each step took. Figures, not pass/fail.
//
// Needs what `npm run test:engine` needs (tests/engine/README.md): root for the lab, the Pulumi CLI
// (FORTRESS_PULUMI_CLI or stacks/pulumi-cli.sh) and the command, random and tls provider plugins
// in FORTRESS_PLUGIN_DIR. Any FORTRESS_LAB_ID: the stacks are written for this lab's addresses.
//   sudo FORTRESS_LAB_ID=3 FORTRESS_PLUGIN_DIR=/work/plugins npm run bench:lab [-- 3 6]
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EngineEvent } from "@pulumi/pulumi/automation";
import { stringify } from "yaml";
import { GraphNode, criticalPath } from "../../sdk/graph";
import {
  POLICY_PACK_DIR,
  REPO_ROOT,
  engineEnv,
  installPlugins,
  openStack,
  pulumiCli,
  summaryLine,
} from "../../stacks/engine";
import { LAB_DIR, LAB_ID, LAB_PRIVATE_KEY_PATH, startLab } from "../lab/harness";

const NAMES = ["alfa", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india"];
const COMMAND = "command:remote:Command";

/** The lab stack's config for these hosts: every one a node, alfa the primary, the rest replicas. */
function stackConfig(hosts: { name: string; address: string }[]) {
  return {
    config: {
      "fortress:environment": "lab",
      "fortress:nodes": hosts.map((h) => ({
        name: h.name,
        placement: { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "lab" },
        existing: { host: h.address },
      })),
      // Wide, so that the names' hash slots do not collide.
      "fortress:mesh": { cidr: "10.100.0.0/16" },
      "fortress:database": {
        primary: hosts[0].name,
        replicas: hosts.slice(1).map((h) => h.name),
        flavour: "mariadb",
      },
    },
  };
}

interface StateResource {
  urn: string;
  type: string;
  custom: boolean;
  dependencies?: string[];
  propertyDependencies?: Record<string, string[]>;
}

/** The state's dependency graph, each step weighted by `weight`. */
function stateGraph(resources: StateResource[], weight: (r: StateResource) => number): GraphNode[] {
  return resources.map((r) => ({
    id: r.urn,
    dependsOn: [
      ...new Set([...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()]),
    ],
    weight: weight(r),
  }));
}

const short = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

async function deploy(n: number): Promise<string> {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-bench-lab-"));
  process.env.PULUMI_BACKEND_URL = `file://${state}`;
  process.env.PULUMI_CONFIG_PASSPHRASE = "bench-lab-passphrase";
  process.env.PULUMI_HOME = path.join(state, "home");
  const stackName = `bench-lab${LAB_ID}-${n}`;
  const stackFile = path.join(REPO_ROOT, "stacks", `Pulumi.${stackName}.yaml`);
  const lab = await startLab(NAMES.slice(0, n));
  try {
    const env = engineEnv();
    const cli = await pulumiCli();
    const plugins = installPlugins(cli, env, process.env.FORTRESS_PLUGIN_DIR, ["command", "random", "tls"]);
    if (plugins.missing.length) {
      throw new Error(
        `missing provider plugins: ${plugins.missing.map((p) => `${p.name} ${p.version}`).join(", ")}; ` +
          "set FORTRESS_PLUGIN_DIR to a folder with pulumi-resource-<name> (tests/engine/README.md)",
      );
    }
    fs.writeFileSync(stackFile, stringify(stackConfig(lab.hosts)));
    const stack = await openStack(stackName, cli, env);
    await stack.setConfig("fortress:sshPrivateKey", {
      value: fs.readFileSync(LAB_PRIVATE_KEY_PATH, "utf8"),
      secret: true,
    });
    // When each step started and ended, as the engine reports them.
    const started = new Map<string, number>();
    const took = new Map<string, number>();
    const onEvent = (e: EngineEvent) => {
      const pre = e.resourcePreEvent?.metadata;
      if (pre) started.set(pre.urn, Date.now());
      const done = e.resOutputsEvent?.metadata;
      if (done && started.has(done.urn)) took.set(done.urn, (Date.now() - started.get(done.urn)!) / 1000);
    };
    const start = Date.now();
    const result = await stack.up({ onEvent, policyPacks: [POLICY_PACK_DIR] });
    const seconds = (Date.now() - start) / 1000;
    const resources = (await stack.exportStack()).deployment.resources as StateResource[];
    const byCount = criticalPath(stateGraph(resources, (r) => (r.type === COMMAND ? 1 : 0)));
    // Only what a step does itself: a component's (and the stack's) span covers its children.
    const byTime = criticalPath(stateGraph(resources, (r) => (r.custom ? (took.get(r.urn) ?? 0) : 0)));
    const commands = resources.filter((r) => r.type === COMMAND).length;
    const chainCommands = byTime.path.filter((u) => resources.find((r) => r.urn === u)?.type === COMMAND);
    const lines = [
      `lab, ${n} hosts: first ${summaryLine("up", stackName, result.summary.resourceChanges ?? {}, seconds)}`,
      `  ${resources.length} resources, ${commands} commands`,
      `  critical path, ${n} hosts: ${byCount.weight} commands: ${byCount.path.map(short).join(" -> ")}`,
      `  heaviest chain by measured time: ${byTime.weight.toFixed(1)} s of the ${seconds.toFixed(1)} s, ` +
        `${chainCommands.length} commands: ${byTime.path.map((u) => `${short(u)} ${took.get(u)!.toFixed(1)} s`).join(" -> ")}`,
    ];
    console.log(lines.join("\n"));
    const destroyed = Date.now();
    const gone = await stack.destroy();
    console.log(
      `  ${summaryLine("destroy", stackName, gone.summary.resourceChanges ?? {}, (Date.now() - destroyed) / 1000)}`,
    );
    await stack.workspace.removeStack(stackName);
    return lines.join("\n");
  } finally {
    fs.rmSync(stackFile, { force: true });
    await lab.stop();
    fs.rmSync(state, { recursive: true, force: true });
  }
}

/** One bench per lab at a time: two would deploy onto the same hosts and time each other. */
function lockLab(): () => void {
  const file = path.join(LAB_DIR, "bench-lab.lock");
  fs.mkdirSync(LAB_DIR, { recursive: true });
  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  const holder = Number(fs.existsSync(file) ? fs.readFileSync(file, "utf8") : NaN);
  if (Number.isInteger(holder) && alive(holder)) {
    throw new Error(`lab ${LAB_ID} is in use by bench:lab (pid ${holder}); use another FORTRESS_LAB_ID`);
  }
  fs.writeFileSync(file, String(process.pid));
  return () => fs.rmSync(file, { force: true });
}

async function main() {
  const sizes = process.argv.slice(2).map(Number);
  const wanted = sizes.length ? sizes : [3, 6];
  for (const n of wanted) {
    if (!Number.isInteger(n) || n < 2 || n > NAMES.length) {
      throw new Error(`lab sizes are 2 to ${NAMES.length} hosts, got ${n}`);
    }
  }
  const unlock = lockLab();
  try {
    const all: string[] = [];
    for (const n of wanted) all.push(await deploy(n));
    console.log(`\n${all.join("\n")}`);
  } finally {
    unlock();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
