// The whole stack config read and checked before the program builds anything: every problem with
// its full key path (`fortress:nodes[2].existing.port`), unknown keys with the closest known one,
// and the residency facts of everything the stack would build, judged first, because a stack
// policy runs only after the update and a node's baseline may already run when a later component
// refuses its args.
import { NodeConfig, parseNodesConfig } from "./config";
import { FortressInputError, InputProblems } from "./errors";
import {
  DataClass,
  Deployment,
  ResidencyArgs,
  Violation,
  enforceResidency,
  gtidMySqlResidency,
  k3sClusterNames,
  k3sClusterResidency,
  kvmNodeResidency,
  mergeResidency,
  validateResidencyPolicy,
} from "./residency";
import { Placement } from "./residency/placement";
import {
  DatabaseConfig,
  K3sConfig,
  STACK_NAMES,
  checkArgoConfig,
  checkMeshConfig,
  checkOpenFaasConfig,
  databaseConfig,
  k3sConfig,
  objectAt,
} from "./stackLayers";

export { DatabaseConfig, K3sConfig, STACK_NAMES } from "./stackLayers";
import { unknownKeyReason } from "./validate";

/** The config keys a stack reads (without the `fortress:` namespace). */
export const STACK_KEYS = [
  "environment",
  "sshPrivateKey",
  "nodes",
  "mesh",
  "k3s",
  "database",
  "openfaas",
  "openfaasLicense",
  "argo",
  "allowedCountries",
  "enforcement",
] as const;

/** A stack's config, checked, with the residency facts of what it builds. */
export interface StackSpec {
  readonly nodes: NodeConfig[];
  readonly mesh: Record<string, unknown>;
  readonly k3s?: K3sConfig;
  readonly database?: DatabaseConfig;
  readonly openfaas?: Record<string, unknown>;
  readonly argo?: Record<string, unknown>;
  readonly residency: ResidencyArgs;
  /** Every node, store, flow and control plane the stack would build, from the components' facts functions. */
  readonly facts: Deployment;
  /** Advisory findings, for the program to warn about. */
  readonly advisories: readonly Violation[];
}

/** A config value as Pulumi holds it (a string; structured values as JSON), parsed. */
function parseValue(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

/**
 * Reads and checks a stack's `fortress:` config. `get` gives a key's raw value, `keys` every key the
 * stack sets (any namespace). Throws one FortressInputError with every problem.
 */
export function readStackConfig(
  get: (key: string) => string | undefined,
  keys: readonly string[],
): StackSpec {
  const out = new InputProblems();
  const value = (key: string) => parseValue(get(key));
  const known: readonly string[] = STACK_KEYS;
  for (const full of keys.filter((k) => k.startsWith("fortress:"))) {
    const key = full.slice("fortress:".length);
    if (!known.includes(key)) out.add(full, unknownKeyReason(key, known, "Fortress stack config"));
  }
  const residency = residencyConfig(out, value("allowedCountries"), value("enforcement"));
  let nodes: NodeConfig[] = [];
  try {
    nodes = parseNodesConfig(value("nodes"));
  } catch (e) {
    out.absorb(e);
  }
  const names = nodes.map((n) => n.name);
  const placementOf = (name: string) => nodes.find((n) => n.name === name)?.args.placement as Placement;

  const nodeFacts = nodes.map((n, i) => {
    const sub = new InputProblems();
    const facts = kvmNodeResidency(sub, n.name, n.args.placement as Placement);
    for (const p of sub.list) out.add(`fortress:nodes[${i}].${p.propertyPath}`, p.reason);
    return facts;
  });
  const nodesOk = out.list.length === 0;

  const mesh = objectAt(out, value("mesh"), "fortress:mesh") ?? {};
  if (nodesOk) checkMeshConfig(out, mesh, names);
  const k3sRaw = objectAt(out, value("k3s"), "fortress:k3s");
  const k3s = k3sRaw && nodesOk ? k3sConfig(out, k3sRaw, names) : undefined;
  const dbRaw = objectAt(out, value("database"), "fortress:database");
  const database = dbRaw && nodesOk ? databaseConfig(out, dbRaw, names, placementOf) : undefined;
  const openfaas = objectAt(out, value("openfaas"), "fortress:openfaas");
  const argo = objectAt(out, value("argo"), "fortress:argo");
  for (const [key, v] of [
    ["openfaas", openfaas],
    ["argo", argo],
  ] as const) {
    if (v && !k3sRaw) out.add(`fortress:${key}`, "needs fortress:k3s: it runs on the cluster");
  }
  const licensed = get("fortress:openfaasLicense") !== undefined;
  const platformFacts = [
    ...(openfaas ? [checkOpenFaasConfig(out, openfaas, STACK_NAMES.openfaas, licensed)] : []),
    ...(argo ? [checkArgoConfig(out, argo, STACK_NAMES.argo)] : []),
  ];
  out.throwIfAny("the stack config");

  const host = (name: string) => ({ name, placement: placementOf(name) });
  const ignore = new InputProblems(); // placements were checked above
  const facts = mergeResidency([
    ...nodeFacts,
    ...(k3s
      ? [
          k3sClusterResidency(
            ignore,
            STACK_NAMES.cluster,
            k3s.servers.map(host),
            k3s.agents.map(host),
            k3s.snapshots ? host(k3s.snapshots.node) : undefined,
          ),
        ]
      : []),
    ...(database
      ? [
          gtidMySqlResidency(
            ignore,
            STACK_NAMES.database,
            host(database.primary),
            database.replicas.map(host),
            database.dataClass ?? DataClass.Personal,
            database.backup ? host(database.backup.node) : undefined,
          ),
        ]
      : []),
    ...(k3s ? platformFacts : []),
  ]);
  // Each violation under the config key that placed its subject.
  const db = STACK_NAMES.database;
  const cluster = STACK_NAMES.cluster;
  const platformKey = (v: Violation) =>
    [STACK_NAMES.openfaas, STACK_NAMES.argo]
      .filter((c) => v.subject.startsWith(`${c}/`))
      .map((c) => `fortress:${c}`)[0];
  const keyOf = (v: Violation) => platformKey(v) ?? nodeKey(v);
  const nodeKey = (v: Violation) =>
    v.subject === k3sClusterNames.snapshotStore(cluster) || v.subject.startsWith(`${cluster} etcd snapshots`)
      ? "fortress:k3s.snapshots.node"
      : v.subject === cluster
        ? "fortress:k3s.servers"
        : v.subject === db
          ? "fortress:database.primary"
          : v.subject === `${db}/backups` || v.subject.startsWith(`${db} backups to `)
            ? "fortress:database.backup.node"
            : v.subject.startsWith(`${db}/`) || v.subject.startsWith(`${db} `)
              ? "fortress:database.replicas"
              : "fortress:nodes";
  const advisories = enforceResidency(facts, residency, keyOf, "the stack config");
  return { nodes, mesh, k3s, database, openfaas, argo, residency, facts, advisories };
}

/** `fortress:allowedCountries` and `fortress:enforcement`, checked by the residency model itself. */
function residencyConfig(
  problems: InputProblems,
  allowedCountries: unknown,
  enforcement: unknown,
): ResidencyArgs {
  try {
    const policy = validateResidencyPolicy(
      { allowedCountries: allowedCountries ?? ["NO"], enforcement: enforcement ?? {} },
      "",
    );
    return { allowedCountries: [...policy.allowedCountries], enforcement: { ...policy.enforcement } };
  } catch (e) {
    if (!(e instanceof FortressInputError)) throw e;
    // The model names `.allowedCountries[0]`; in a stack file the key is `fortress:allowedCountries`.
    for (const p of e.problems) problems.add(`fortress:${p.propertyPath.replace(/^\./, "")}`, p.reason);
    return {};
  }
}
