// `npm run up|preview|refresh|destroy|outputs -- <stack> [options]`: a stack of this package
// through the real Pulumi engine, with no Pulumi install and no account. See README ("Run a stack").
// `npm run pulumi -- <args>` runs the same CLI with the same backend, for everything else
// (`config set --secret`, `stack export`, ...).
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { CommandError } from "@pulumi/pulumi/automation";
import {
  ChangeCounts,
  POLICY_PACK_DIR,
  REPO_ROOT,
  engineEnv,
  installPlugins,
  openStack,
  pulumiCli,
  summaryLine,
} from "./engine";

const OPERATIONS = ["up", "preview", "refresh", "destroy", "outputs"] as const;
type Operation = (typeof OPERATIONS)[number];

export interface DriverArgs {
  readonly op: Operation;
  readonly stack: string;
  /** Policy packs to load; the residency pack unless --no-default-policy-pack. */
  readonly policyPacks: string[];
  readonly policyPackConfigs: string[];
  readonly showSecrets: boolean;
  readonly expectNoChanges: boolean;
}

const USAGE = `usage: npm run <up|preview|refresh|destroy|outputs> -- <stack> [--policy-pack DIR]... [--policy-pack-config FILE]...
       [--no-default-policy-pack] [--show-secrets] [--expect-no-changes]
       npm run pulumi -- <any pulumi arguments>   (the same CLI and backend, in the repo root)
  stacks: dev, staging, prod, lab (stacks/Pulumi.<stack>.yaml)
  environment: PULUMI_BACKEND_URL (default: a local file backend in .pulumi-state/),
               PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE (local backends),
               FORTRESS_PULUMI_CLI (default: pulumi on PATH, else built by stacks/pulumi-cli.sh),
               FORTRESS_PLUGIN_DIR (pulumi-resource-<name> binaries to install before the run)`;

/** Parses the driver's command line; throws with the usage on anything it does not know. */
export function parseDriverArgs(argv: readonly string[]): DriverArgs {
  const [op, ...rest] = argv;
  if (!OPERATIONS.includes(op as Operation)) throw new Error(`unknown operation "${op ?? ""}"\n${USAGE}`);
  let stack: string | undefined;
  const packs: string[] = [];
  const configs: string[] = [];
  let defaultPack = true;
  let showSecrets = false;
  let expectNoChanges = false;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${a} needs a value\n${USAGE}`);
      return path.resolve(v);
    };
    if (a === "--policy-pack") packs.push(value());
    else if (a === "--policy-pack-config") configs.push(value());
    else if (a === "--no-default-policy-pack") defaultPack = false;
    else if (a === "--show-secrets") showSecrets = true;
    else if (a === "--expect-no-changes") expectNoChanges = true;
    else if (!a.startsWith("-") && stack === undefined) stack = a;
    else throw new Error(`unexpected argument "${a}"\n${USAGE}`);
  }
  if (!stack) throw new Error(`which stack?\n${USAGE}`);
  if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`"${stack}" is not a stack name\n${USAGE}`);
  return {
    op: op as Operation,
    stack,
    policyPacks: [...(defaultPack ? [POLICY_PACK_DIR] : []), ...packs],
    policyPackConfigs: configs,
    showSecrets,
    expectNoChanges,
  };
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv[0] === "pulumi") {
    const cli = await pulumiCli();
    const r = spawnSync(cli.command, argv.slice(1), {
      cwd: REPO_ROOT,
      stdio: "inherit",
      env: { ...process.env, ...engineEnv() },
    });
    return r.status ?? 1;
  }
  const args = parseDriverArgs(argv);
  const env = engineEnv();
  const cli = await pulumiCli();
  const plugins = installPlugins(cli, env, process.env.FORTRESS_PLUGIN_DIR, []);
  for (const p of plugins.installed) process.stderr.write(`driver: installed plugin ${p}\n`);
  const stack = await openStack(args.stack, cli, env);
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  const stream = { onOutput: (out: string) => process.stdout.write(out) };
  const policy = { policyPacks: args.policyPacks, policyPackConfigs: args.policyPackConfigs };
  let changes: ChangeCounts | undefined;
  switch (args.op) {
    case "up":
      changes = (await stack.up({ ...stream, ...policy, expectNoChanges: args.expectNoChanges })).summary
        .resourceChanges;
      break;
    case "preview":
      changes = (await stack.preview({ ...stream, ...policy, expectNoChanges: args.expectNoChanges }))
        .changeSummary;
      break;
    case "refresh":
      changes = (await stack.refresh({ ...stream, expectNoChanges: args.expectNoChanges })).summary
        .resourceChanges;
      break;
    case "destroy":
      changes = (await stack.destroy(stream)).summary.resourceChanges;
      break;
    case "outputs": {
      const outputs = await stack.outputs();
      const shown = Object.fromEntries(
        Object.entries(outputs).map(([k, o]) => [k, o.secret && !args.showSecrets ? "[secret]" : o.value]),
      );
      process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
      return 0;
    }
  }
  process.stdout.write(`${summaryLine(args.op, args.stack, changes ?? {}, seconds())}\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      // The CLI's output has streamed already, its reasons included; the error would repeat it.
      const cli = err instanceof CommandError;
      const message = cli ? "the Pulumi CLI failed; its output above says why" : String(err);
      process.stderr.write(`driver: ${message.trim()}\n`);
      process.exit(1);
    },
  );
}
