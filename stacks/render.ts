// npm run render -- <stack> [--out DIR]
// Evaluates a stack with no cloud account, no hosts and no Pulumi CLI (the mock engine) and writes
// what it would do: every host's scripts in the order they would run, the Kubernetes objects and
// chart values, and the residency report. Secrets never appear: placeholders stand where one would
// be. Exits non-zero, naming the rule and the subject, when a mandatory rule is violated.
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { FortressInputError } from "../sdk/errors";
import { programFacts } from "../sdk/policy/facts";
import { reachabilitySection } from "../sdk/reachability";
import { residencyReport, reportMarkdown } from "../sdk/report";
import { defaultResidencyPolicy } from "../sdk/residency";
import { scriptOfCommand } from "../sdk/scripts/render";
import { FortressMocks, RecordedResource, installMocks, settle } from "../sdk/testing/mocks";
import { withStackTraces } from "../sdk/testing/stackTraces";

const SECRET = "<secret: not rendered>";

export interface RenderResult {
  readonly files: string[];
  readonly compliant: boolean;
  readonly problems: string[];
}

function usage(): never {
  console.error(
    "usage: npm run render -- <stack> [--out DIR] [--config FILE]   (stacks: dev, staging, prod, lab)",
  );
  process.exit(2);
}

/** Sets the stack's config as the CLI would, with a placeholder for each secret it needs. */
export function loadStackConfig(
  stack: string,
  file = path.join(__dirname, `Pulumi.${stack}.yaml`),
): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new Error(`no stack "${stack}": ${file} does not exist`);
  const doc = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const config: Record<string, string> = { "fortress:sshPrivateKey": SECRET };
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    config[key] = typeof value === "string" ? value : JSON.stringify(value);
  }
  pulumi.runtime.setAllConfig(config, ["fortress:sshPrivateKey"]);
  return doc.config ?? {};
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, "_");

/** Every input value, with the ones the program marked secret replaced by a placeholder. */
function redacted(r: RecordedResource): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(r.inputs).map(([k, v]) => [k, r.secretInputs.includes(k) ? SECRET : v]),
  );
}

export async function render(
  stack: string,
  outDir: string,
  mocks: FortressMocks,
  configFile?: string,
): Promise<RenderResult> {
  const config = loadStackConfig(stack, configFile);
  const { fortressProgram } = await import("./program");
  fortressProgram(new pulumi.Config("fortress"));
  // Registrations cascade as outputs resolve; settle until nothing new arrives.
  let seen = -1;
  while (seen !== mocks.resources.length) {
    seen = mocks.resources.length;
    await settle();
    await new Promise((r) => setTimeout(r, 20));
  }

  fs.rmSync(outDir, { recursive: true, force: true });
  const files: string[] = [];
  const write = (rel: string, content: string) => {
    const file = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    files.push(rel);
  };

  // Hosts: which node each connection address belongs to, then each host's commands in order.
  const hostName = new Map<string, string>();
  for (const r of mocks.ofType("fortress:index:KvmNode")) {
    const existing = r.inputs.existing as { host?: string } | undefined;
    if (existing?.host) hostName.set(existing.host, r.name);
  }
  for (const r of mocks.ofType("aws:ec2/instance:Instance"))
    hostName.set(providerAddress(r, mocks), r.name.replace(/-instance$/, ""));
  const perHost = new Map<string, number>();
  for (const r of mocks.ofType("command:remote:Command")) {
    const address = (r.inputs.connection as { host: string }).host;
    const host = hostName.get(address) ?? address;
    const n = (perHost.get(host) ?? 0) + 1;
    perHost.set(host, n);
    const header = [
      `# ${r.name}: step ${n} on ${host} (${address})`,
      r.inputs.stdin !== undefined
        ? `# standard input: ${r.secretInputs.includes("stdin") ? SECRET : "given"}`
        : "",
    ].filter(Boolean);
    const { create, delete: remove } = r.inputs as { create: string; delete?: string };
    const script = scriptOfCommand(create) ?? create;
    write(
      `hosts/${safeName(host)}/${String(n).padStart(2, "0")}-${safeName(r.name)}.sh`,
      insertHeader(script, header),
    );
    if (remove) {
      const del = scriptOfCommand(remove) ?? remove;
      write(
        `hosts/${safeName(host)}/destroy/${safeName(r.name)}.sh`,
        insertHeader(del, [`# ${r.name}: on destroy`]),
      );
    }
  }

  // Kubernetes objects and chart values, as the program asks for them.
  for (const r of mocks.resources.filter((x) => x.type.startsWith("kubernetes:"))) {
    write(
      `kubernetes/${safeName(r.name)}.json`,
      JSON.stringify({ pulumiType: r.type, ...redacted(r) }, null, 2) + "\n",
    );
  }

  // The residency report, from the same facts the policy pack reads.
  const facts = programFacts(
    mocks.resources.map((r) => ({ type: r.type, name: r.name, urn: r.name, props: r.inputs })),
    "inputs",
  );
  const allowed = (config["fortress:allowedCountries"] as string[] | undefined) ?? ["NO"];
  const enforcement = (config["fortress:enforcement"] as Record<string, never> | undefined) ?? {};
  const report = residencyReport(stack, facts.deployment, { allowedCountries: allowed, enforcement });
  // Who can reach what over the mesh: from the components' own port declarations.
  const reachability = reachabilitySection(
    // Hosts only: not the stand-ins the facts judge Kubernetes workloads with.
    facts.deployment.nodes.filter((n) => /^[a-z][a-z0-9-]*$/.test(n.name)),
    mocks.resources
      .filter((r) => r.type.startsWith("fortress:index:"))
      .map((r) => ({ type: r.type, name: r.name, props: r.inputs })),
    { ...defaultResidencyPolicy(), allowedCountries: allowed },
  );
  write("residency-report.md", `${reportMarkdown(report).trimEnd()}\n\n${reachability}`);
  write("residency-report.json", JSON.stringify(report, null, 2) + "\n");
  const problems = report.verdicts
    .filter((v) => v.verdict === "fail")
    .flatMap((v) => v.violations.map((x) => `${x.ruleId}: ${x.subject}: ${x.message}`));
  return { files, compliant: report.compliant, problems };
}

function providerAddress(instance: RecordedResource, mocks: FortressMocks): string {
  // The instance's address is an output; the baseline command that connects to it has it.
  const node = instance.name.replace(/-instance$/, "");
  const baseline = mocks.resources.find((r) => r.name === `${node}-baseline`);
  return (baseline?.inputs.connection as { host?: string } | undefined)?.host ?? "";
}

function insertHeader(script: string, header: string[]): string {
  const [first, ...rest] = script.split("\n");
  return first.startsWith("#!") ? [first, ...header, ...rest].join("\n") : [...header, script].join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const stack = args.find((a, i) => !a.startsWith("--") && !["--out", "--config"].includes(args[i - 1]));
  if (!stack) usage();
  const outAt = args.indexOf("--out");
  const outDir = outAt >= 0 ? (args[outAt + 1] ?? usage()) : path.join("render", stack);
  const configAt = args.indexOf("--config");
  const configFile = configAt >= 0 ? (args[configAt + 1] ?? usage()) : undefined;
  const mocks = installMocks(
    new FortressMocks().onInvoke("aws:ec2/getAmi:getAmi", () => ({
      id: "ami-debian-12-latest",
      name: "debian-12",
    })),
    "fortress",
    stack,
  );
  // The SDK captures a stack per promise: two thirds of a big stack's evaluation (npm run bench).
  // Errors then carry no frames; FORTRESS_STACK_TRACES=1 keeps them, to debug the program.
  const traces = process.env.FORTRESS_STACK_TRACES === "1" ? "sdk-default" : "off";
  try {
    const result = await withStackTraces(traces, () => render(stack, outDir, mocks, configFile));
    console.log(`fortress render: ${stack}: ${result.files.length} files in ${outDir}`);
    if (!result.compliant) {
      for (const p of result.problems)
        console.error(`fortress render: ${stack}: mandatory rule violated: ${p}`);
      process.exit(1);
    }
  } catch (e) {
    if (e instanceof FortressInputError) {
      console.error(`fortress render: ${stack}: ${e.message}`);
      process.exit(1);
    }
    if (traces === "off")
      console.error("fortress render: for a stack trace, run again with FORTRESS_STACK_TRACES=1");
    throw e;
  }
}

if (require.main === module) void main();
