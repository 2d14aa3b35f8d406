// The dependency graph of the host steps a program registers, as the engine orders them: a step
// waits for what it `dependsOn` and for every resource an Output among its inputs comes from (a
// mesh configuration waits for every node's key that way). Its longest chain of commands is the
// critical path of a first deployment, counted in commands.
// Recorded with a root resource's transformation standing in for a stack transformation.
import * as pulumi from "@pulumi/pulumi";
import * as runtimeState from "@pulumi/pulumi/runtime/state";

// Internal to the SDK (untyped there): the root resource new resources are parented to.
const state = runtimeState as unknown as {
  getStackResource(): pulumi.Resource | undefined;
  setStackResource(root: pulumi.Resource | undefined): void;
};

interface Registered {
  readonly name: string;
  readonly type: string;
  readonly props: unknown;
  readonly dependsOn: pulumi.Resource[];
}

const registered = new Map<pulumi.Resource, Registered>();

const record: pulumi.ResourceTransformation = (args) => {
  // A resource reference read back from outputs (KvmNode's `ready`) is the same resource again.
  if (args.opts.urn !== undefined) return undefined;
  const deps = args.opts.dependsOn;
  registered.set(args.resource, {
    name: args.name,
    type: args.type,
    props: args.props,
    dependsOn: (Array.isArray(deps) ? deps : deps ? [deps] : []) as pulumi.Resource[],
  });
  return undefined;
};

/**
 * Runs `build` (a program) with every resource it registers recorded, under a root resource that
 * stands in for the stack (the mocks have none); the previous root is back afterwards.
 */
export async function recordingStack(build: () => Promise<void>): Promise<void> {
  registered.clear();
  const previous = state.getStackResource();
  const root = new pulumi.ComponentResource("test:index:Stack", "stack", {}, { transformations: [record] });
  state.setStackResource(root);
  try {
    await build();
  } finally {
    state.setStackResource(previous);
  }
}

async function outputResources(value: unknown, into: Set<pulumi.Resource>, depth = 0): Promise<void> {
  if (depth > 2 || value === null || typeof value !== "object") return;
  if (pulumi.Output.isInstance(value)) {
    const o = value as unknown as { allResources?: () => Promise<Set<pulumi.Resource>> };
    for (const r of (await o.allResources?.()) ?? []) into.add(r);
    return;
  }
  for (const v of Object.values(value)) await outputResources(v, into, depth + 1);
}

const COMMAND = "command:remote:Command";

export interface CommandGraph {
  /** Each command's name and the commands it waits for, directly or through non-command resources. */
  readonly waitsFor: Map<string, Set<string>>;
  /** The longest chain of commands, first to last. */
  readonly criticalPath: string[];
}

export async function commandGraph(): Promise<CommandGraph> {
  const direct = new Map<string, Set<string>>();
  const typeOf = new Map<string, string>();
  const nameOf = (r: pulumi.Resource) => registered.get(r)?.name;
  for (const [, r] of registered) {
    const deps = new Set<pulumi.Resource>(r.dependsOn);
    await outputResources(r.props, deps);
    direct.set(r.name, new Set([...deps].flatMap((d) => nameOf(d) ?? [])));
    typeOf.set(r.name, r.type);
  }
  // Commands a resource waits for, looking through resources that are not commands.
  const commandsBehind = new Map<string, Set<string>>();
  const behind = (name: string): Set<string> => {
    const known = commandsBehind.get(name);
    if (known) return known;
    const out = new Set<string>();
    commandsBehind.set(name, out);
    for (const d of direct.get(name) ?? []) {
      if (typeOf.get(d) === COMMAND) out.add(d);
      else for (const c of behind(d)) out.add(c);
    }
    return out;
  };
  const commands = [...typeOf].filter(([, t]) => t === COMMAND).map(([n]) => n);
  const waitsFor = new Map(commands.map((c) => [c, behind(c)]));
  const chain = new Map<string, string[]>();
  const longest = (c: string): string[] => {
    const known = chain.get(c);
    if (known) return known;
    let best: string[] = [];
    for (const d of waitsFor.get(c) ?? []) {
      const p = longest(d);
      if (p.length > best.length) best = p;
    }
    const path = [...best, c];
    chain.set(c, path);
    return path;
  };
  let criticalPath: string[] = [];
  for (const c of commands) {
    const p = longest(c);
    if (p.length > criticalPath.length) criticalPath = p;
  }
  return { waitsFor, criticalPath };
}
