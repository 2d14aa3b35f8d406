// The whole stack config read and checked before the program builds anything: every problem with
// its full key path (`fortress:nodes[2].existing.port`), unknown keys with the closest known one,
// and the residency facts of everything the stack would build, judged first, because a stack
// policy runs only after the update and a node's baseline may already run when a later component
// refuses its args.
import { NodeConfig, parseNodeRefs, parseNodesConfig } from "./config";
import { resolveGtidMySqlArgs } from "./mysqlArgs";
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
  parseDataClass,
  validateResidencyPolicy,
} from "./residency";
import { HostPlacement } from "./residency";
import { Placement } from "./residency/placement";
import { checkK3sSettings } from "./k3sArgs";
import { checkArgoConfig, checkMeshConfig, checkOpenFaasConfig } from "./stackLayers";
import { checkKeys, checkPort, expect, isPlainObject, unknownKeyReason } from "./validate";

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

const K3S_KEYS = ["version", "servers", "agents", "mirror", "agentRestartBatch", "snapshots"];
const DATABASE_KEYS = [
  "primary",
  "replicas",
  "flavour",
  "dataClass",
  "port",
  "binlogRetentionDays",
  "backup",
  "failover",
];
const BACKUP_KEYS = ["node", "onCalendar", "keep"];

/** The names the stack gives its components, which their facts and children are named after. */
export const STACK_NAMES = {
  mesh: "mesh",
  cluster: "k3s",
  database: "db",
  openfaas: "openfaas",
  argo: "argo",
} as const;

export interface K3sConfig {
  /** Default: the package's pinned release (DEFAULT_K3S_VERSION). */
  readonly version?: string;
  readonly servers: string[];
  readonly agents: string[];
  readonly mirror?: { url: string };
  readonly agentRestartBatch?: number;
  /** etcd snapshots collected by a node of the stack, by name (K3sSnapshotArgs). */
  readonly snapshots?: { readonly node: string; readonly schedule?: string; readonly keep?: number };
}

export interface DatabaseConfig {
  readonly primary: string;
  readonly replicas: string[];
  readonly flavour?: string;
  readonly dataClass?: DataClass;
  readonly port?: number;
  readonly binlogRetentionDays?: number;
  /** Scheduled backups of the primary to a node of the stack, by name (GtidMySqlBackupArgs). */
  readonly backup?: { readonly node: string; readonly onCalendar?: string; readonly keep?: number };
  /** A failover from the primary that is gone, by node name (GtidMySqlFailoverArgs). */
  readonly failover?: { readonly from: string };
}

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

function objectAt(problems: InputProblems, raw: unknown, key: string): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    problems.add(key, `must be an object (a YAML mapping), not ${JSON.stringify(raw)}`);
    return undefined;
  }
  return raw;
}

function refs(
  problems: InputProblems,
  raw: unknown,
  key: string,
  names: string[],
  required: boolean,
): string[] {
  try {
    return parseNodeRefs(raw, key, names, required);
  } catch (e) {
    problems.absorb(e);
    return [];
  }
}

/** One node of fortress:nodes, by name. */
function ref(
  problems: InputProblems,
  raw: unknown,
  key: string,
  names: string[],
  what: string,
): string | undefined {
  if (typeof raw === "string" && names.includes(raw)) return raw;
  problems.add(
    key,
    typeof raw === "string"
      ? `${JSON.stringify(raw)} is not a node of fortress:nodes (${names.join(", ")})`
      : `must be the name of ${what}, a node of fortress:nodes (${names.join(", ")})`,
  );
  return undefined;
}

function k3sConfig(
  problems: InputProblems,
  raw: Record<string, unknown>,
  names: string[],
): K3sConfig | undefined {
  const before = problems.list.length;
  checkKeys(problems, raw, K3S_KEYS, "fortress:k3s", "k3s");
  const servers = refs(problems, raw.servers, "fortress:k3s.servers", names, true);
  const agents = refs(problems, raw.agents, "fortress:k3s.agents", names, false);
  const snapshots = objectAt(problems, raw.snapshots, "fortress:k3s.snapshots");
  const [snapshotNode] =
    snapshots && typeof snapshots.node === "string"
      ? refs(problems, [snapshots.node], "fortress:k3s.snapshots.node", names, true)
      : [];
  if (servers.length > 0)
    checkK3sSettings(
      problems,
      { ...raw, servers, agents, snapshotNode },
      { at: (key) => `fortress:k3s.${key}`, node: (role, i) => `fortress:k3s.${role}[${i}]` },
    );
  if (problems.list.length > before) return undefined;
  return {
    servers,
    agents,
    ...(raw.version !== undefined ? { version: raw.version as string } : {}),
    ...(raw.mirror ? { mirror: raw.mirror as { url: string } } : {}),
    ...(raw.agentRestartBatch !== undefined ? { agentRestartBatch: raw.agentRestartBatch as number } : {}),
    ...(snapshots && snapshotNode
      ? { snapshots: { ...(snapshots as { schedule?: string; keep?: number }), node: snapshotNode } }
      : {}),
  };
}

function databaseConfig(
  problems: InputProblems,
  raw: Record<string, unknown>,
  names: string[],
  placementOf: (name: string) => Placement,
): DatabaseConfig | undefined {
  const before = problems.list.length;
  checkKeys(problems, raw, DATABASE_KEYS, "fortress:database", "database");
  const primary = ref(
    problems,
    raw.primary,
    "fortress:database.primary",
    names,
    "the node that takes the writes",
  );
  const replicas = refs(problems, raw.replicas, "fortress:database.replicas", names, false);
  let dataClass: DataClass | undefined;
  if (raw.dataClass !== undefined) {
    try {
      dataClass = parseDataClass(raw.dataClass, "fortress:database.dataClass");
    } catch (e) {
      problems.absorb(e);
    }
  }
  if (expect.number(problems, raw.port, "fortress:database.port", "1 to 65535"))
    checkPort(problems, raw.port, "fortress:database.port");
  expect.string(problems, raw.flavour, "fortress:database.flavour", '"mysql84", "mysql80" or "mariadb"');
  expect.number(problems, raw.binlogRetentionDays, "fortress:database.binlogRetentionDays", "1 to 365 days");
  const backup = objectAt(problems, raw.backup, "fortress:database.backup");
  let backupNode: string | undefined;
  if (backup) {
    checkKeys(problems, backup, BACKUP_KEYS, "fortress:database.backup", "backup");
    backupNode = ref(problems, backup.node, "fortress:database.backup.node", names, "the backup node");
    expect.string(problems, backup.onCalendar, "fortress:database.backup.onCalendar", '"*-*-* 02:30:00"');
    expect.number(
      problems,
      backup.keep,
      "fortress:database.backup.keep",
      "how many backups to keep, e.g. 14",
    );
  }
  const failover = objectAt(problems, raw.failover, "fortress:database.failover");
  if (failover) {
    checkKeys(problems, failover, ["from"], "fortress:database.failover", "failover");
    ref(problems, failover.from, "fortress:database.failover.from", names, "the primary that is gone");
  }
  if (problems.list.length > before) return undefined;
  const config: DatabaseConfig = {
    primary: primary!,
    replicas,
    ...(raw.flavour !== undefined ? { flavour: raw.flavour as string } : {}),
    ...(dataClass ? { dataClass } : {}),
    ...(raw.port !== undefined ? { port: raw.port as number } : {}),
    ...(raw.binlogRetentionDays !== undefined
      ? { binlogRetentionDays: raw.binlogRetentionDays as number }
      : {}),
    ...(backup && backupNode
      ? {
          backup: {
            node: backupNode,
            ...(backup.onCalendar !== undefined ? { onCalendar: backup.onCalendar as string } : {}),
            ...(backup.keep !== undefined ? { keep: backup.keep as number } : {}),
          },
        }
      : {}),
    ...(failover ? { failover: { from: failover.from as string } } : {}),
  };
  checkDatabaseArgs(problems, config, placementOf);
  return problems.list.length > before ? undefined : config;
}

/**
 * The database as GtidMySql will check it (sdk/mysqlArgs.ts), now: a bad value stops the program
 * before any node is registered. Its problems under `fortress:database`, a node by its key.
 */
function checkDatabaseArgs(
  problems: InputProblems,
  db: DatabaseConfig,
  placementOf: (name: string) => Placement,
): void {
  const host = (name: string) => ({ name, placement: placementOf(name) });
  const { backup, ...rest } = db;
  try {
    resolveGtidMySqlArgs(
      STACK_NAMES.database,
      {
        ...rest,
        primary: host(db.primary),
        replicas: db.replicas.map(host),
        ...(backup ? { backup: { ...backup, node: host(backup.node) } } : {}),
      },
      // The nodes and their placements were checked with fortress:nodes.
      (_problems, _h): _h is HostPlacement => true,
    );
  } catch (e) {
    if (!(e instanceof FortressInputError)) throw e;
    for (const p of e.problems)
      problems.add(
        `fortress:database.${p.propertyPath.replace(/^((?:replicas\[\d+\]|primary|backup\.node))\.name$/, "$1")}`,
        p.reason,
      );
  }
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
