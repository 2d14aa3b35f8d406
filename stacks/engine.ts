// The real Pulumi engine for the package's own stacks: which CLI, which plugins, which backend,
// and the stack itself as an Automation API inline program (the same fortressProgram that
// `pulumi up` in the repo runs from stacks/index.ts). Used by the driver (stacks/driver.ts) and
// by the engine suite (tests/engine).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { FortressInputError } from "../sdk/errors";
import { fortressProgram } from "./program";

export const REPO_ROOT = path.resolve(__dirname, "..");
/** Where stacks live when PULUMI_BACKEND_URL is not set: a local file backend, ignored by git. */
export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, ".pulumi-state");
/** The residency policy pack, loaded by default on every preview and update. */
export const POLICY_PACK_DIR = path.join(REPO_ROOT, "sdk", "policy");
/** Holds `pulumi-analyzer-policy-nodejs`, which a CLI without a nodejs language plugin runs. */
export const ANALYZER_LAUNCHER_DIR = path.join(POLICY_PACK_DIR, "launcher");
const CLI_BUILD_SCRIPT = path.join(__dirname, "pulumi-cli.sh");
/** The provider plugins the stacks can use, by npm package. */
const PROVIDER_PACKAGES = ["command", "random", "tls", "aws", "kubernetes"] as const;

export interface PluginSpec {
  readonly name: string;
  readonly version: string;
}

/** Each provider plugin at the exact version its npm SDK asks the engine for. */
export function providerPlugins(): PluginSpec[] {
  return PROVIDER_PACKAGES.map((pkg) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const manifest = require(`@pulumi/${pkg}/package.json`) as {
      version: string;
      pulumi?: { version?: string };
    };
    return { name: pkg, version: manifest.pulumi?.version ?? manifest.version };
  });
}

/** The CLI version the SDK speaks: the Automation API and the engine must agree. */
export function sdkVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

/**
 * The Pulumi CLI: $FORTRESS_PULUMI_CLI, else a `pulumi` on PATH of the SDK's version, else the
 * one stacks/pulumi-cli.sh builds from Go modules (once per machine; it prints its progress).
 */
export async function pulumiCli(): Promise<PulumiCommand> {
  const want = `v${sdkVersion()}`;
  const fromEnv = process.env.FORTRESS_PULUMI_CLI;
  let binary: string | undefined;
  if (fromEnv) {
    binary = path.resolve(fromEnv);
    if (!fs.existsSync(binary)) throw new Error(`FORTRESS_PULUMI_CLI=${fromEnv}: no such file`);
  } else {
    try {
      const onPath = execFileSync("pulumi", ["version"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      });
      if (onPath.trim() === want) binary = "pulumi";
    } catch {
      // no pulumi on PATH
    }
    binary ??= execFileSync("bash", [CLI_BUILD_SCRIPT], {
      encoding: "utf8",
      env: { ...process.env, FORTRESS_PULUMI_VERSION: want },
      stdio: ["ignore", "pipe", "inherit"],
    }).trim();
  }
  const root = binary === "pulumi" ? undefined : path.dirname(path.dirname(binary));
  if (root && path.basename(binary) !== "pulumi") {
    throw new Error(`the Pulumi CLI must be a file named pulumi (in .../bin/): ${binary}`);
  }
  // skipVersionCheck: a CLI named explicitly is the user's choice; the others are the SDK's version.
  return PulumiCommand.get({ ...(root ? { root } : {}), skipVersionCheck: true });
}

/** The environment the CLI runs with: the backend, the policy launcher on PATH, no update checks. */
export function engineEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PULUMI_SKIP_UPDATE_CHECK: "1",
    PATH: `${ANALYZER_LAUNCHER_DIR}${path.delimiter}${process.env.PATH ?? ""}`,
  };
  if (!process.env.PULUMI_BACKEND_URL) {
    fs.mkdirSync(DEFAULT_STATE_DIR, { recursive: true, mode: 0o700 });
    env.PULUMI_BACKEND_URL = `file://${DEFAULT_STATE_DIR}`;
  }
  const local = (process.env.PULUMI_BACKEND_URL ?? env.PULUMI_BACKEND_URL).startsWith("file://");
  if (local && !process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    throw new Error(
      "set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE: a local backend encrypts the stack's secrets with a passphrase",
    );
  }
  return env;
}

/**
 * Installs each provider plugin found in `dir` (a file named pulumi-resource-<name>) under the
 * version its npm SDK asks for, and returns which of the wanted ones are still missing.
 */
export function installPlugins(
  cli: PulumiCommand,
  env: Record<string, string>,
  dir: string | undefined,
  wanted: readonly string[],
): { installed: string[]; missing: PluginSpec[] } {
  const specs = providerPlugins();
  const installed: string[] = [];
  const fullEnv = { ...process.env, ...env };
  const have = (spec: PluginSpec) => {
    const listed = JSON.parse(
      execFileSync(cli.command, ["plugin", "ls", "--json"], { encoding: "utf8", env: fullEnv }) || "[]",
    ) as { name: string; kind: string; version: string }[];
    return listed.some((p) => p.kind === "resource" && p.name === spec.name && p.version === spec.version);
  };
  for (const spec of specs) {
    const file = dir && path.join(dir, `pulumi-resource-${spec.name}`);
    if (!file || !fs.existsSync(file) || have(spec)) continue;
    execFileSync(
      cli.command,
      ["plugin", "install", "resource", spec.name, spec.version, "--file", file, "--reinstall"],
      {
        env: fullEnv,
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    installed.push(`${spec.name} ${spec.version}`);
  }
  const missing = specs.filter((s) => wanted.includes(s.name) && !have(s));
  return { installed, missing };
}

/**
 * fortressProgram as an inline program. A config error is the user's to fix, not a crash: the
 * Automation API prints any other error than a RunError as "Unhandled exception" with its stack.
 */
export function inlineProgram(): Promise<ReturnType<typeof fortressProgram>> {
  return Promise.resolve()
    .then(() => fortressProgram())
    .catch((e: unknown) => {
      throw e instanceof FortressInputError ? new pulumi.RunError(e.message) : e;
    });
}

/** The stack as an inline program, working directory the repo root (Pulumi.yaml, stacks/Pulumi.<stack>.yaml). */
export async function openStack(
  stackName: string,
  cli: PulumiCommand,
  env: Record<string, string>,
): Promise<Stack> {
  return LocalWorkspace.createOrSelectStack(
    { stackName, projectName: "fortress", program: inlineProgram },
    { workDir: REPO_ROOT, pulumiCommand: cli, envVars: env },
  );
}

/** What an operation changed, as the CLI's summary counts it (`same` is unchanged). */
export type ChangeCounts = Partial<Record<string, number>>;

/** The one line that ends a driver run: `up lab: created 40, updated 0, ... in 26.1 s`. */
export function summaryLine(op: string, stack: string, changes: ChangeCounts, seconds: number): string {
  const n = (k: string) => changes[k] ?? 0;
  const parts = [
    `created ${n("create")}`,
    `updated ${n("update")}`,
    `replaced ${n("replace")}`,
    `deleted ${n("delete")}`,
    `unchanged ${n("same")}`,
  ];
  return `${op} ${stack}: ${parts.join(", ")} in ${seconds.toFixed(1)} s`;
}
