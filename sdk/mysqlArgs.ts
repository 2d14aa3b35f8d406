// GtidMySql's arguments checked and completed with their defaults, as a pure function: the
// component calls it with its hosts, the stack program with the config's node names and
// placements, before it registers anything. Every problem at once, with its path.
import * as net from "net";
import { FortressInputError, InputProblems } from "./errors";
import { MySqlFlavour, MySqlRole, checkBindAddress, checkFlavour, planServerIds } from "./mysql";
import { DataClass, Deployment, HostPlacement, gtidMySqlResidency, parseDataClass } from "./residency";
import { checkComponentName, checkKeys, checkPort, expect, isOutputLike } from "./validate";
import { MeshContract, checkMeshContract } from "./wireguard";

/** Every setting of GtidMySqlArgs: anything else is a typo to name. */
export const GTID_MYSQL_KEYS = [
  "primary",
  "replicas",
  "addresses",
  "meshReady",
  "mesh",
  "flavour",
  "port",
  "dataClass",
  "residency",
  "serverIds",
  "binlogRetentionDays",
  "adminHosts",
  "backup",
  "failover",
];

const NODE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/** The args as the check reads them: hosts of any shape that has a name and a placement. */
export interface MySqlArgsShape<H extends HostPlacement> {
  readonly primary?: H;
  readonly replicas?: readonly H[];
  /** Mesh addresses by node name; an output (or anything not a plain object) is checked once known. */
  readonly addresses?: unknown;
  readonly mesh?: MeshContract;
  readonly flavour?: MySqlFlavour | string;
  readonly port?: number;
  readonly dataClass?: DataClass | string;
  readonly serverIds?: { readonly [node: string]: number };
  readonly binlogRetentionDays?: number;
  readonly adminHosts?: readonly string[];
  readonly backup?: { readonly node: H; readonly onCalendar?: string; readonly keep?: number };
  readonly failover?: { readonly from: string };
}

export interface MySqlNodeEntry<H> {
  readonly h: H;
  readonly path: string;
  readonly role: MySqlRole;
}

/** The args checked, with their defaults. */
export interface ResolvedMySqlArgs<H extends HostPlacement> {
  readonly primary: H;
  readonly replicas: H[];
  /** The primary first, then the replicas in order. */
  readonly all: MySqlNodeEntry<H>[];
  readonly flavour: MySqlFlavour;
  readonly port: number;
  readonly meshInterface: string;
  readonly retentionDays: number;
  readonly dataClass: DataClass;
  readonly serverIds: Record<string, number>;
  readonly residency: Deployment;
  readonly adminHosts: string[];
  readonly backup?: { readonly node: H; readonly onCalendar: string; readonly keep: number };
  /** The former primary that is gone (a failover): no step runs on it while it is named here. */
  readonly failedOver?: string;
}

/** How a caller checks one of its hosts (its keys, its connection); records problems under `path`. */
export type HostCheck<H> = (problems: InputProblems, h: unknown, path: string) => h is H;

/**
 * GtidMySql's args checked and completed with their defaults; throws one FortressInputError with
 * every problem, titled `GtidMySql "name"`. `checkHost` checks each host given.
 */
export function resolveGtidMySqlArgs<H extends HostPlacement>(
  name: string,
  input: MySqlArgsShape<H>,
  checkHost: HostCheck<H>,
): ResolvedMySqlArgs<H> {
  const problems = new InputProblems();
  checkComponentName(problems, name, "GtidMySql");
  const args: MySqlArgsShape<H> = checkKeys(problems, input, GTID_MYSQL_KEYS, "", "GtidMySql") ? input : {};
  const primary =
    args.primary === undefined || checkHost(problems, args.primary, "primary") ? args.primary : undefined;
  const replicas = expect.list(problems, args.replicas, "replicas", "hosts (`node.host()` of each KvmNode)")
    ? args.replicas.filter((h, i) => checkHost(problems, h, `replicas[${i}]`))
    : [];
  problems.check(
    primary !== undefined && primary !== null,
    "primary",
    "is required: the node that takes the writes (`KvmNode.host()`)",
  );
  const all: MySqlNodeEntry<H>[] = [
    ...(primary ? [{ h: primary, path: "primary", role: "primary" as const }] : []),
    ...replicas.map((h, i) => ({ h, path: `replicas[${i}]`, role: "replica" as const })),
  ];
  checkNodeNames(problems, all, primary?.name);
  const flavour = (args.flavour ?? MySqlFlavour.Mysql84) as MySqlFlavour;
  checkFlavour(problems, flavour, "flavour");
  const port = args.port ?? 3306;
  checkPort(problems, port, "port");
  const meshInterface = checkMeshContract(problems, args.mesh, "mesh").interfaceName;
  const retentionDays = args.binlogRetentionDays ?? 7;
  problems.check(
    Number.isInteger(retentionDays) && retentionDays >= 1 && retentionDays <= 365,
    "binlogRetentionDays",
    `${String(retentionDays)} is out of range; use 1 to 365 days`,
  );
  let dataClass = DataClass.Personal;
  try {
    dataClass = parseDataClass(args.dataClass ?? DataClass.Personal, "dataClass");
  } catch (e) {
    if (!(e instanceof FortressInputError)) throw e;
    problems.add(e.propertyPath, e.reason);
  }
  const backup = args.backup ? checkBackup(problems, args.backup, primary?.name) : undefined;
  const failedOver = args.failover
    ? checkFailover(
        problems,
        args.failover,
        primary?.name,
        replicas.map((r) => r.name),
      )
    : undefined;
  const names = all.map(({ h }) => h.name);
  const serverIds =
    problems.list.length === 0
      ? planServerIds(names, args.serverIds ?? {}, problems, (n) => `serverIds["${n}"]`)
      : {};
  // Addresses given as plain values are checked now; those that come from the mesh, once known.
  if (args.addresses !== undefined && !isOutputLike(args.addresses) && typeof args.addresses === "object") {
    const plain = args.addresses as Record<string, unknown>;
    for (const { h } of all)
      if (NODE_NAME.test(h.name ?? "")) checkMeshAddress(problems, plain[h.name], h.name);
  }
  const residency: Deployment = primary
    ? gtidMySqlResidency(problems, name, primary, replicas, dataClass, backup?.node)
    : { nodes: [] };
  const adminHosts = args.adminHosts ?? [];
  adminHosts.forEach((a, i) =>
    problems.check(
      typeof a === "string" && net.isIPv4(a),
      `adminHosts[${i}]`,
      `${JSON.stringify(a)} is not an IPv4 address; give a host's mesh address (an account is never bound to "%" or a pattern)`,
    ),
  );
  problems.throwIfAny(`GtidMySql "${name}"`);
  return {
    // After throwIfAny the primary is there: its absence is a problem.
    primary: primary!,
    replicas,
    all,
    flavour,
    port,
    meshInterface,
    retentionDays,
    dataClass,
    serverIds,
    residency,
    adminHosts: [...new Set(adminHosts)].sort(),
    ...(backup ? { backup } : {}),
    ...(failedOver ? { failedOver } : {}),
  };
}

function checkNodeNames<H extends HostPlacement>(
  problems: InputProblems,
  all: readonly MySqlNodeEntry<H>[],
  primary: string | undefined,
): void {
  const seen = new Set<string>();
  for (const { h, path } of all) {
    if (!checkNodeName(problems, h.name, `${path}.name`)) continue;
    if (path !== "primary" && h.name === primary) {
      problems.add(
        `${path}.name`,
        `"${h.name}" is the primary; a node is the primary or a replica, not both`,
      );
      continue;
    }
    problems.check(!seen.has(h.name), `${path}.name`, `"${h.name}" is a replica twice; list it once`);
    seen.add(h.name);
  }
}

function checkNodeName(problems: InputProblems, value: unknown, path: string): value is string {
  return problems.check(
    typeof value === "string" && NODE_NAME.test(value),
    path,
    `${JSON.stringify(value)} is not a node name; use lower-case letters, digits and "-", starting with a letter`,
  );
}

function checkBackup<H extends HostPlacement>(
  problems: InputProblems,
  backup: NonNullable<MySqlArgsShape<H>["backup"]>,
  primary: string | undefined,
): { node: H; onCalendar: string; keep: number } {
  const node = backup.node;
  if (checkNodeName(problems, node?.name, "backup.node.name")) {
    problems.check(
      node.name !== primary,
      "backup.node",
      `"${node.name}" is the primary; backups belong on another node (a replica or a node of their own)`,
    );
  }
  const onCalendar = backup.onCalendar ?? "*-*-* 02:30:00";
  problems.check(
    typeof onCalendar === "string" && /^[A-Za-z0-9*:,./~ -]{1,64}$/.test(onCalendar),
    "backup.onCalendar",
    `${JSON.stringify(onCalendar)} is not a systemd calendar expression; use e.g. "daily" or "*-*-* 02:30:00"`,
  );
  const keep = backup.keep ?? 14;
  problems.check(
    Number.isInteger(keep) && keep >= 1 && keep <= 365,
    "backup.keep",
    `${String(keep)} is out of range; keep 1 to 365 backups`,
  );
  return { node, onCalendar, keep };
}

/** `failover.from`: the former primary, gone; it stays among the replicas, as which it rejoins. */
function checkFailover(
  problems: InputProblems,
  failover: unknown,
  primary: string | undefined,
  replicas: readonly string[],
): string | undefined {
  if (!checkKeys(problems, failover, ["from"], "failover", "failover")) return undefined;
  const from = failover.from;
  if (from === undefined) {
    problems.add("failover.from", 'is required: the name of the primary that is gone, e.g. "osl-1"');
    return undefined;
  }
  if (!checkNodeName(problems, from, "failover.from")) return undefined;
  if (from === primary) {
    problems.add(
      "failover.from",
      `"${from}" is the primary; name the primary that is gone, and make \`primary\` the replica that takes over`,
    );
    return undefined;
  }
  if (!replicas.includes(from)) {
    problems.add(
      "failover.from",
      `"${from}" is not among the replicas (${replicas.join(", ") || "none"}); keep the primary that is gone ` +
        "in `replicas`: no step runs on it during the failover, and it rejoins as a replica once `failover` is removed",
    );
    return undefined;
  }
  return from;
}

/** A node's mesh address: present, and an IP address the server can bind. Strings only; outputs are checked once known. */
export function checkMeshAddress(problems: InputProblems, address: unknown, node: string): void {
  const path = `addresses["${node}"]`;
  if (!problems.check(address !== undefined, path, `is missing: give the mesh address of node "${node}"`))
    return;
  if (typeof address === "string") checkBindAddress(problems, address, path);
}
