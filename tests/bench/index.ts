// `npm run bench`: figures, not pass/fail. Machines here are noisy, so every figure is paired with
// a baseline measured in the same run (bare resource registrations), and the ratio is what to read.
import * as pulumi from "@pulumi/pulumi";
import { KvmNode } from "../../components/kvmNode/kvmNode";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { FortressMocks, RecordedResource, installMocks, settle } from "../../sdk/testing/mocks";
import { fortressProgram } from "../../stacks/program";
import { loadStackConfig } from "../../stacks/render";

const mocks = installMocks(
  new FortressMocks().onInvoke("aws:ec2/getAmi:getAmi", () => ({ id: "ami-debian-12", name: "debian-12" })),
);
const KEY = pulumi.secret(
  "-----BEGIN OPENSSH PRIVATE KEY-----\nYmVuY2g=\n-----END OPENSSH PRIVATE KEY-----\n",
);

class Bare extends pulumi.CustomResource {
  constructor(name: string) {
    super("bench:index:Bare", name, { value: name }, {});
  }
}

const nodeName = (i: number) => `node-${String(i).padStart(3, "0")}`;

/** Builds n nodes and a mesh over them; returns what was registered. */
async function meshOf(n: number, run: string): Promise<RecordedResource[]> {
  mocks.reset();
  const nodes = Array.from(
    { length: n },
    (_, i) =>
      new KvmNode(`${run}-${nodeName(i)}`, {
        placement: { country: "NO", provider: "coolvds" },
        existing: { host: `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`, privateKey: KEY },
      }),
  );
  const mesh = new WireGuardMesh(`${run}-mesh`, {
    nodes: nodes.map((node, i) => ({ ...node.host(), name: nodeName(i) })),
    // A wide range keeps hash-slot collisions (an error asking to pin an address) unlikely at 200 nodes.
    cidr: "10.64.0.0/10",
  });
  await new Promise((r) => mesh.publicKeys.apply(r));
  await settle();
  return [...mocks.resources];
}

async function bare(count: number, run: string): Promise<void> {
  mocks.reset();
  const all = Array.from({ length: count }, (_, i) => new Bare(`${run}-bare-${i}`));
  await Promise.all(all.map((b) => new Promise((r) => b.urn.apply(r))));
  await settle();
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Compares two runs of one program, as the engine would: by resource name, inputs and triggers. */
function diff(before: RecordedResource[], after: RecordedResource[], rename: (n: string) => string) {
  const old = new Map(before.map((r) => [rename(r.name), r]));
  let created = 0,
    updated = 0,
    replaced = 0,
    same = 0;
  for (const r of after) {
    const prev = old.get(rename(r.name));
    if (!prev) created++;
    else if (JSON.stringify(prev.inputs.triggers) !== JSON.stringify(r.inputs.triggers)) replaced++;
    else if (JSON.stringify(prev.inputs) !== JSON.stringify(r.inputs)) updated++;
    else same++;
  }
  const deleted = before.length - (after.length - created);
  return { created, updated, replaced, deleted, unchanged: same };
}

/** Evaluates the prod stack's program, optionally with extra Fleet agents; returns the resource count. */
async function prodStack(extraFleet: number): Promise<number> {
  mocks.reset();
  const config = loadStackConfig("prod");
  const fleet = Array.from({ length: extraFleet }, (_, i) => `burst-${String(i).padStart(3, "0")}`);
  const nodes = [
    ...(config["fortress:nodes"] as object[]),
    ...fleet.map((name) => ({
      name,
      placement: { provider: "aws", region: "eu-north-1" },
      ec2: { adminCidr: "198.51.100.0/24" },
    })),
  ];
  const k3s = config["fortress:k3s"] as { agents: string[] };
  const mesh = config["fortress:mesh"] as object;
  // Everything prod configures (database, OpenFaaS, Argo CD too), with the Fleet added.
  const whole = Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  pulumi.runtime.setAllConfig(
    {
      ...whole,
      "fortress:sshPrivateKey": "bench-key",
      "fortress:nodes": JSON.stringify(nodes),
      "fortress:k3s": JSON.stringify({ ...k3s, agents: [...k3s.agents, ...fleet] }),
      // A wide range keeps hash-slot collisions unlikely for the extra nodes.
      "fortress:mesh": JSON.stringify({ ...mesh, cidr: "10.64.0.0/10" }),
    },
    ["fortress:sshPrivateKey"],
  );
  const out = fortressProgram(new pulumi.Config("fortress"));
  await new Promise((r) => out.meshAddresses.apply(r));
  let seen = -1;
  while (seen !== mocks.resources.length) {
    seen = mocks.resources.length;
    await settle();
  }
  return mocks.resources.length;
}

async function main() {
  await meshOf(10, "warmup");
  console.log("WireGuardMesh under mocks (KvmNode baseline + mesh key and config per node)\n");
  console.log("nodes  resources  time ms  bare ms  ratio");
  for (const n of [10, 50, 100, 200]) {
    let resources = 0;
    const ms = await time(async () => (resources = (await meshOf(n, `m${n}`)).length));
    const bareMs = await time(() => bare(resources, `b${n}`));
    console.log(
      `${String(n).padStart(5)}  ${String(resources).padStart(9)}  ${ms.toFixed(0).padStart(7)}  ${bareMs
        .toFixed(0)
        .padStart(7)}  ${(ms / bareMs).toFixed(2).padStart(5)}`,
    );
  }

  const before = await meshOf(100, "r1");
  const after = await meshOf(101, "r2");
  const d = diff(before, after, (name) => name.replace(/^r[12]-/, ""));
  console.log(`\nadding one node to 100: ${JSON.stringify(d)}`);

  console.log("\nThe prod stack under mocks (nodes, mesh, k3s, database, OpenFaaS, Argo CD)\n");
  console.log("stack                 resources  time ms  bare ms  ratio");
  for (const [label, extra] of [
    ["prod", 0],
    ["prod + 100 Fleet", 100],
  ] as const) {
    let resources = 0;
    const ms = await time(async () => (resources = await prodStack(extra)));
    const bareMs = await time(() => bare(resources, `p${extra}`));
    console.log(
      `${label.padEnd(20)}  ${String(resources).padStart(9)}  ${ms.toFixed(0).padStart(7)}  ${bareMs.toFixed(0).padStart(7)}  ${(ms / bareMs).toFixed(2).padStart(5)}`,
    );
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
