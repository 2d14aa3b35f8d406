// What the bench (tests/bench/index.ts) evaluates under mocks, shared with the unit test that keeps
// the printed critical path honest (tests/unit/bench.test.ts). Nothing here installs mocks: the
// caller does, once per process, before calling.
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as kubernetes from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { KvmNode } from "../../components/kvmNode/kvmNode";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { CriticalPath, criticalPath } from "../../sdk/graph";
import {
  RegisteredNode,
  commandGraph,
  forgetRegistrations,
  recordDependencies,
  registeredOutputs,
} from "../../sdk/testing/dependencies";
import { FortressMocks, RecordedResource, settle } from "../../sdk/testing/mocks";
import { forgetScriptMemos } from "../../sdk/scripts/render";
import { fortressProgram } from "../../stacks/program";
import { loadStackConfig } from "../../stacks/render";

const KEY = pulumi.secret(
  "-----BEGIN OPENSSH PRIVATE KEY-----\nYmVuY2g=\n-----END OPENSSH PRIVATE KEY-----\n",
);
const nodeName = (i: number) => `node-${String(i).padStart(3, "0")}`;

/** Registrations cascade as outputs resolve; settle until nothing new arrives. */
async function settleAll(mocks: FortressMocks): Promise<void> {
  let seen = -1;
  while (seen !== mocks.resources.length) {
    seen = mocks.resources.length;
    await settle();
  }
}

/**
 * Starts a run from nothing recorded and no scripts remembered: each run is measured on its own,
 * filling its scripts as a single evaluation (`pulumi up`) does.
 */
function fresh(mocks: FortressMocks): void {
  mocks.reset();
  forgetRegistrations();
  forgetScriptMemos();
}

/** Builds n nodes and a mesh over them; returns what was registered. */
export async function meshOf(mocks: FortressMocks, n: number, run: string): Promise<RecordedResource[]> {
  fresh(mocks);
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
  await settleAll(mocks);
  return [...mocks.resources];
}

/** The Fleet agents the bench adds to prod: EC2 nodes in Stockholm, k3s agents. */
export const fleetNames = (n: number) =>
  Array.from({ length: n }, (_, i) => `burst-${String(i).padStart(3, "0")}`);

/**
 * The prod stack's config with `extraFleet` more agents, built once per size: in a real `pulumi up`
 * the CLI reads Pulumi.prod.yaml, not the program, so the timed evaluation must not either.
 */
const prodConfigs = new Map<number, Record<string, string>>();
function prodConfig(extraFleet: number): Record<string, string> {
  const known = prodConfigs.get(extraFleet);
  if (known) return known;
  const config = loadStackConfig("prod");
  const fleet = fleetNames(extraFleet);
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
  const whole = Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
  );
  const built = {
    ...whole,
    "fortress:sshPrivateKey": "bench-key",
    "fortress:nodes": JSON.stringify(nodes),
    "fortress:k3s": JSON.stringify({ ...k3s, agents: [...k3s.agents, ...fleet] }),
    // A wide range keeps hash-slot collisions unlikely for the extra nodes.
    "fortress:mesh": JSON.stringify({ ...mesh, cidr: "10.64.0.0/10" }),
  };
  prodConfigs.set(extraFleet, built);
  return built;
}

/** Evaluates the prod stack's program (everything it configures), with `extraFleet` more agents. */
export async function prodStack(mocks: FortressMocks, extraFleet: number): Promise<RecordedResource[]> {
  const config = prodConfig(extraFleet);
  fresh(mocks);
  pulumi.runtime.setAllConfig(config, ["fortress:sshPrivateKey"]);
  const out = fortressProgram(new pulumi.Config("fortress"));
  await new Promise((r) => out.meshAddresses.apply(r));
  await settleAll(mocks);
  return [...mocks.resources];
}

/** The prod stack's critical path in host commands, from the dependencies it registered. */
export async function prodCriticalPath(mocks: FortressMocks, extraFleet: number): Promise<CriticalPath> {
  const graph = recordDependencies();
  graph.length = 0;
  await prodStack(mocks, extraFleet);
  const found = criticalPath(commandGraph(graph));
  // Names, not URNs: the chain reads as the steps it is.
  return { ...found, path: found.path.map((urn) => urn.slice(urn.lastIndexOf("::") + 2)) };
}

class Bare extends pulumi.CustomResource {
  constructor(name: string) {
    super("bench:index:Bare", name, { value: name }, {});
  }
}

/** The bare baseline: `count` registrations of one tiny resource. */
export async function bare(mocks: FortressMocks, count: number, run: string): Promise<void> {
  fresh(mocks);
  const all = Array.from({ length: count }, (_, i) => new Bare(`${run}-bare-${i}`));
  await Promise.all(all.map((b) => new Promise((r) => b.urn.apply(r))));
  await settle();
}

type ResourceClass = new (
  name: string,
  args: pulumi.Inputs,
  opts: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

const PROVIDER_PACKAGES: Record<string, Record<string, unknown>> = { aws, command, kubernetes, random, tls };

/**
 * The provider SDK's class for a type token (`aws:ec2/instance:Instance` is `aws.ec2.Instance`,
 * `kubernetes:helm.sh/v3:Release` is `k8s.helm.v3.Release`): the fair baseline builds resources
 * with it, because what its constructor does (an Output per declared property, secret wrapping,
 * defaults) is the provider's cost, not the components'. A type it cannot find is an error.
 */
export function resourceClass(type: string): ResourceClass {
  const [pkg, middle, cls] = type.split(":");
  const root = PROVIDER_PACKAGES[pkg === "pulumi" ? cls : pkg];
  if (!root) throw new Error(`the fair baseline knows no provider package for ${type}`);
  if (pkg === "pulumi" && middle === "providers") return root.Provider as ResourceClass;
  // `aws:ec2/instance` is module ec2 (the part after "/" names a file); `kubernetes:core/v1` is
  // core.v1, and a group is named by its first label (`rbac.authorization.k8s.io` is `rbac`).
  const path = pkg === "kubernetes" ? middle.split("/") : [middle.split("/")[0]];
  let at: unknown = root;
  for (const part of path.filter((p) => p !== "index")) {
    at = (at as Record<string, unknown> | undefined)?.[part.split(".")[0]];
  }
  const found = (at as Record<string, unknown> | undefined)?.[cls] as
    (ResourceClass & { __pulumiType?: string }) | undefined;
  if (found?.__pulumiType === type) return found;
  // Kinds from CRDs (an Argo CD Application) have no class of their own.
  if (pkg === "kubernetes") return (root.apiextensions as { CustomResource: ResourceClass }).CustomResource;
  throw new Error(`the fair baseline found no class for ${type}`);
}

class FairComponent extends pulumi.ComponentResource {
  constructor(type: string, name: string, inputs: pulumi.Inputs, opts: pulumi.ComponentResourceOptions) {
    super(type, name, inputs, opts);
  }
  /** Registers what the real component registered, once its children exist (as a constructor's end is). */
  finish(outputs: pulumi.Inputs): void {
    this.registerOutputs(outputs);
  }
}

// A component's registered outputs, to register again: plain data, with these for secrets and for
// references to the run's resources (by position in the run).
class SecretOutput {
  constructor(readonly value: unknown) {}
}
class ResourceAt {
  constructor(readonly position: number) {}
}

const { specialSigKey, specialSecretSig, specialResourceSig } = pulumi.runtime;

/** Wire form (secrets, resource references by URN) to plain data with the markers above. */
function fairOutput(v: unknown, position: (urn: string) => number | undefined): unknown {
  if (Array.isArray(v)) return v.map((x) => fairOutput(x, position));
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o[specialSigKey] === specialSecretSig) return new SecretOutput(fairOutput(o.value, position));
  if (o[specialSigKey] === specialResourceSig) {
    const at = position(String(o.urn));
    if (at === undefined) throw new Error(`the fair baseline found no resource ${String(o.urn)} in the run`);
    return new ResourceAt(at);
  }
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, fairOutput(x, position)]));
}

/** Those outputs as inputs of the fair run: secrets secret, each reference the fair run's resource. */
function fairInputs(v: unknown, all: readonly pulumi.Resource[]): unknown {
  if (v instanceof SecretOutput) return pulumi.secret(fairInputs(v.value, all));
  if (v instanceof ResourceAt) return all[v.position];
  if (Array.isArray(v)) return v.map((x) => fairInputs(x, all));
  if (v === null || typeof v !== "object") return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fairInputs(x, all)]));
}

/** A recorded input as plain data: a resource reference becomes its name. */
function plain(v: unknown): unknown {
  if (pulumi.Resource.isInstance(v)) return `resource:${(v as unknown as { __name?: string }).__name ?? ""}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const key = (type: string, name: string) => `${type}::${name}`;

/**
 * The payloads of a run, ready to register again: computed once, outside the timed part, and
 * before the next run starts (components' outputs are read from the mock monitor, which each run
 * empties). With the run's registered graph, each also knows the ones it waited for (by
 * position), deps first.
 */
export function payloads(resources: readonly RecordedResource[], graph: readonly RegisteredNode[] = []) {
  const at = new Map(resources.map((r, i) => [key(r.type, r.name), i]));
  const byUrn = new Map(graph.map((n) => [n.urn, at.get(key(n.type, n.name))]));
  const deps = new Map(graph.map((n) => [at.get(key(n.type, n.name)), n.dependsOn.map((u) => byUrn.get(u))]));
  const urnAt = new Map(graph.map((n) => [at.get(key(n.type, n.name)), n.urn]));
  const parents = new Map(
    graph.map((n) => [at.get(key(n.type, n.name)), n.parent ? byUrn.get(n.parent) : undefined]),
  );
  return resources.map((r, i) => ({
    type: r.type,
    construct: r.custom ? resourceClass(r.type) : undefined,
    name: r.name,
    custom: r.custom,
    inputs: Object.fromEntries(
      Object.entries(plain(r.inputs) as Record<string, unknown>).map(([k, v]) => [
        k,
        r.secretInputs.includes(k) ? pulumi.secret(v) : v,
      ]),
    ),
    // Registration order puts what a resource waits for first, except a component's children.
    dependsOn: (deps.get(i) ?? []).filter((d): d is number => d !== undefined && d < i),
    // A component registers before its children.
    parent: parents.get(i) ?? undefined,
    // What a component registered as outputs, the same again (resource references by position).
    outputs: r.custom ? undefined : componentOutputs(urnAt.get(i), byUrn),
  }));
}

function componentOutputs(urn: string | undefined, byUrn: ReadonlyMap<string, number | undefined>) {
  const registered = urn === undefined ? undefined : registeredOutputs(urn);
  return registered && (fairOutput(registered, (u) => byUrn.get(u)) as Record<string, unknown>);
}

/**
 * The fair baseline: the same resources, built with their provider classes from the same inputs
 * (secrets still secret) under the same parents, as many as the real run registered, each
 * component registering the outputs it registered, but bare: no component logic, no Outputs
 * between them. With `edges`, each also waits (dependsOn) for what it waited for in the real run.
 */
export async function fair(
  mocks: FortressMocks,
  what: ReturnType<typeof payloads>,
  run: string,
  edges = false,
): Promise<void> {
  fresh(mocks);
  const all: pulumi.Resource[] = [];
  what.forEach((p, i) => {
    const name = `${run}-${i}-${p.name}`;
    const opts = {
      ...(p.parent !== undefined && p.parent < i ? { parent: all[p.parent] } : {}),
      ...(edges ? { dependsOn: p.dependsOn.map((d) => all[d]) } : {}),
    };
    all.push(
      p.construct ? new p.construct(name, p.inputs, opts) : new FairComponent(p.type, name, p.inputs, opts),
    );
  });
  what.forEach((p, i) => {
    if (p.outputs) (all[i] as FairComponent).finish(fairInputs(p.outputs, all) as pulumi.Inputs);
  });
  await Promise.all(all.map((b) => new Promise((r) => b.urn.apply(r))));
  await settleAll(mocks);
}
