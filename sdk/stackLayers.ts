// The layers a stack builds on its nodes, as its config gives them: `fortress:mesh`, `fortress:k3s`,
// `fortress:database`, `fortress:openfaas` and `fortress:argo`, checked by the same pure functions the components call
// (so a bad value fails before any node is registered, not after, under `up --skip-preview`), with
// the residency facts of the platform from the components' own facts functions.
import { checkArgoArgs } from "./argo";
import { parseNodeRefs } from "./config";
import { FortressInputError, InputProblems, joinPath } from "./errors";
import { checkK3sSettings } from "./k3sArgs";
import { resolveGtidMySqlArgs } from "./mysqlArgs";
import { checkOpenFaasArgs } from "./openfaas";
import {
  DataClass,
  Deployment,
  HostPlacement,
  argoBootstrapResidency,
  openFaasPlatformResidency,
  parseDataClass,
} from "./residency";
import { Placement } from "./residency/placement";
import { checkKeys, checkPort, expect, isPlainObject } from "./validate";
import { WIREGUARD_MESH_KEYS, checkMeshSettings } from "./wireguard";

/** The names the stack gives its components, which their facts and children are named after. */
export const STACK_NAMES = {
  mesh: "mesh",
  cluster: "k3s",
  database: "db",
  openfaas: "openfaas",
  argo: "argo",
} as const;

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

/** Runs a component's check on a fresh list and records its problems under the config key. */
function underKey(out: InputProblems, key: string, check: (problems: InputProblems) => void): void {
  const problems = new InputProblems();
  check(problems);
  for (const p of problems.list) out.add(joinPath(key, p.propertyPath), p.reason);
}

/** `fortress:mesh`: WireGuardMesh's settings over the stack's nodes, which the stack joins itself. */
export function checkMeshConfig(
  out: InputProblems,
  raw: Record<string, unknown>,
  nodeNames: readonly string[],
): void {
  underKey(out, "fortress:mesh", (problems) => {
    const { nodes, ...settings } = raw;
    problems.check(
      nodes === undefined,
      "nodes",
      "is set by the stack: the mesh joins every node of fortress:nodes, so leave it out",
    );
    const known = WIREGUARD_MESH_KEYS.filter((k) => k !== "nodes");
    checkKeys(problems, settings, known, "", "mesh");
    checkMeshSettings(problems, settings, nodeNames);
  });
}

/**
 * `fortress:openfaas`: OpenFaasPlatform's args, the license aside (a secret, from
 * `fortress:openfaasLicense`). Returns the platform's residency facts.
 */
export function checkOpenFaasConfig(
  out: InputProblems,
  raw: Record<string, unknown>,
  name: string,
  licensed: boolean,
): Deployment {
  underKey(out, "fortress:openfaas", (problems) => {
    problems.check(
      raw.license === undefined,
      "license",
      "is a secret and would sit in plain config: set it with " +
        "`pulumi config set --secret fortress:openfaasLicense` instead",
    );
    checkOpenFaasArgs(problems, { ...raw, license: undefined }, licensed);
  });
  const functions = Array.isArray(raw.functions) ? (raw.functions as { name?: unknown }[]) : [];
  return openFaasPlatformResidency(
    name,
    functions.flatMap((f) => (typeof f?.name === "string" ? [f.name] : [])),
  );
}

/** `fortress:argo`: ArgoBootstrap's args. Returns its residency facts. */
export function checkArgoConfig(out: InputProblems, raw: Record<string, unknown>, name: string): Deployment {
  let facts: Deployment = { nodes: [] };
  underKey(out, "fortress:argo", (problems) => {
    const { settings } = checkArgoArgs(problems, raw);
    facts = argoBootstrapResidency(name, String(raw.repoUrl), String(raw.path), settings);
  });
  return facts;
}

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

export function objectAt(
  problems: InputProblems,
  raw: unknown,
  key: string,
): Record<string, unknown> | undefined {
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

export function k3sConfig(
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

export function databaseConfig(
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
