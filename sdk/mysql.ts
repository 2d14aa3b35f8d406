import { createHash } from "crypto";
import * as net from "net";
import { InputProblems } from "./errors";
import { MeshPortDeclaration } from "./zones";

/** Which server a GtidMySql runs: the two speak different GTID dialects. */
export enum MySqlFlavour {
  /** MySQL 8.4 LTS (Oracle's repository on Debian and Ubuntu): `gtid_mode=ON`, auto-positioning. The default. */
  Mysql84 = "mysql84",
  /** MySQL 8.0 (Oracle's repository on Debian, the archive on Ubuntu); end of life since April 2026. */
  Mysql80 = "mysql80",
  /** MariaDB as Debian and Ubuntu ship it: its own GTIDs (`gtid_strict_mode`, `MASTER_USE_GTID=slave_pos`). */
  MariaDb = "mariadb",
}

const FLAVOURS: readonly string[] = Object.values(MySqlFlavour);

/** Checks a flavour given as plain input (another language, stack config); records a problem if unknown. */
export function checkFlavour(problems: InputProblems, value: unknown, propertyPath: string): boolean {
  return problems.check(
    typeof value === "string" && FLAVOURS.includes(value),
    propertyPath,
    `${JSON.stringify(value) ?? "undefined"} is not a MySQL flavour; use "mysql84" (MySQL 8.4 LTS, the default), ` +
      '"mysql80" (MySQL 8.0, end of life) or "mariadb" (MariaDB as Debian ships it)',
  );
}

/** The release series of Oracle's APT repository for a MySQL flavour (its component name). */
export function mysqlAptRelease(flavour: MySqlFlavour): string {
  if (flavour === MySqlFlavour.MariaDb) throw new Error("MariaDB comes from the distribution");
  return flavour === MySqlFlavour.Mysql84 ? "mysql-8.4-lts" : "mysql-8.0";
}

/** The server version prefix a flavour's package must have (`8.4.`, `8.0.`). */
export function mysqlVersionPrefix(flavour: MySqlFlavour): string {
  return flavour === MySqlFlavour.Mysql84 ? "8.4." : "8.0.";
}

/** Where each flavour keeps things on a Debian or Ubuntu host. */
export interface FlavourFacts {
  /** The systemd unit of the server. */
  readonly service: string;
  /** The command-line client. */
  readonly client: string;
  /** The folder the packaged my.cnf includes last (`!includedir`). */
  readonly configDir: string;
}

export function flavourFacts(flavour: MySqlFlavour): FlavourFacts {
  return flavour === MySqlFlavour.MariaDb
    ? { service: "mariadb", client: "mariadb", configDir: "/etc/mysql/mariadb.conf.d" }
    : { service: "mysql", client: "mysql", configDir: "/etc/mysql/mysql.conf.d" };
}

/** The file the component owns in the flavour's include folder. */
export const CONFIG_FILE_NAME = "60-fortress.cnf";
/** Binary logs live here (as in the seed); the folder must exist and belong to mysql before start. */
export const BINLOG_DIR = "/var/log/mysql";
/** TLS material: under /etc/mysql, which Ubuntu's AppArmor profile for mysqld lets it read. */
export const TLS_DIR = "/etc/mysql/fortress";
export const CA_FILE = `${TLS_DIR}/ca.pem`;
export const CERT_FILE = `${TLS_DIR}/server-cert.pem`;
export const KEY_FILE = `${TLS_DIR}/server-key.pem`;

/** The account applications and operators use (all privileges; still read-only on replicas). */
export const ADMIN_USER = "fortress_admin";
/** The account replicas connect with: REPLICATION SLAVE only, TLS required. */
export const REPLICATION_USER = "fortress_repl";
/** The account the backup node dumps with: read only (and the binary log position), TLS required. */
export const BACKUP_USER = "fortress_backup";
/** What a consistent dump with its GTID position needs, and no more. */
export const BACKUP_PRIVILEGES = "SELECT, RELOAD, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER, REPLICATION CLIENT";

/**
 * How fast a replica notices a dead link and comes back: the primary sends a heartbeat every
 * second, a replica that hears nothing for `NET_TIMEOUT_SECONDS` drops the connection, and it
 * dials again every `CONNECT_RETRY_SECONDS`, up to `RETRY_COUNT` times (about 23 days).
 */
export const REPLICATION_TIMING = Object.freeze({
  HEARTBEAT_SECONDS: 1,
  NET_TIMEOUT_SECONDS: 5,
  CONNECT_RETRY_SECONDS: 2,
  RETRY_COUNT: 1_000_000,
});

/** A node's role in replication. */
export type MySqlRole = "primary" | "replica";

const MAX_SERVER_ID = 4294967295;

/**
 * A node's server_id from its name alone (a hash), so adding or removing a replica never changes
 * another node's id. 1 to 4294967295; 0 would stop replication.
 */
export function serverIdOf(name: string): number {
  const digest = createHash("sha256").update(`fortress-mysql:${name}`).digest();
  return 1 + (digest.readUInt32BE(0) % MAX_SERVER_ID);
}

/**
 * Every node's server_id: the pinned one when given, else its hash. Two nodes with one id is an
 * error that names both, never a silent renumbering (replication would drop the other's events).
 */
export function planServerIds(
  names: readonly string[],
  pinned: Readonly<Record<string, number>>,
  problems: InputProblems,
  pathOf: (name: string) => string,
): Record<string, number> {
  for (const [name, id] of Object.entries(pinned)) {
    if (!names.includes(name)) {
      problems.add(pathOf(name), `names no node of the database; nodes are ${names.join(", ")}`);
      continue;
    }
    problems.check(
      Number.isInteger(id) && id >= 1 && id <= MAX_SERVER_ID,
      pathOf(name),
      `${String(id)} is not a server_id; use a whole number from 1 to ${MAX_SERVER_ID}`,
    );
  }
  const ids: Record<string, number> = {};
  const owner = new Map<number, string>();
  for (const name of names) {
    const id = name in pinned ? pinned[name] : serverIdOf(name);
    const other = owner.get(id);
    if (other !== undefined) {
      problems.add(
        pathOf(name),
        `node "${name}" gets server_id ${id}, which node "${other}" has too; server ids must be unique, ` +
          `so pin another one for "${name}" (e.g. ${spareServerId(new Set(owner.keys()))})`,
      );
      continue;
    }
    owner.set(id, name);
    ids[name] = id;
  }
  return ids;
}

function spareServerId(taken: ReadonlySet<number>): number {
  let id = 1;
  while (taken.has(id)) id++;
  return id;
}

/** The values one node's configuration is made of. */
export interface MySqlNodeSettings {
  readonly flavour: MySqlFlavour;
  readonly role: MySqlRole;
  readonly serverId: number;
  /** The node's mesh address: the server listens there only. */
  readonly bindAddress: string;
  readonly port: number;
  /** Binary logs older than this are purged; a replica away longer must be seeded again. */
  readonly binlogRetentionDays: number;
}

export type MyCnfValue = string | number;

/**
 * The `[mysqld]` settings of one node, as data. Both flavours: row-based binary logs synced on
 * every commit, InnoDB flushed on every commit, TLS from the component's CA, replicas read-only,
 * the server on the mesh address only. Then each flavour's GTID dialect.
 */
export function mySqlConfig(s: MySqlNodeSettings): Record<string, MyCnfValue> {
  const common: Record<string, MyCnfValue> = {
    bind_address: s.bindAddress,
    binlog_expire_logs_seconds: s.binlogRetentionDays * 86400,
    binlog_format: "ROW",
    innodb_flush_log_at_trx_commit: 1,
    log_bin: `${BINLOG_DIR}/mysql-bin.log`,
    port: s.port,
    // Every server starts read-only, the primary too: the guard (renderGuardUnit) lets a primary
    // take writes once a replica follows it, so one that was failed over comes back fenced.
    read_only: "ON",
    // In the data directory, not named after the host name (the default), which may change.
    relay_log: "relay-bin",
    relay_log_recovery: "ON",
    server_id: s.serverId,
    skip_name_resolve: "ON",
    ssl_ca: CA_FILE,
    ssl_cert: CERT_FILE,
    ssl_key: KEY_FILE,
    sync_binlog: 1,
  };
  if (s.flavour === MySqlFlavour.MariaDb) {
    return {
      ...common,
      gtid_strict_mode: "ON",
      // MariaDB's counterpart of binlog_transaction_compression.
      log_bin_compress: "ON",
      log_slave_updates: "ON",
      master_retry_count: REPLICATION_TIMING.RETRY_COUNT,
      slave_net_timeout: REPLICATION_TIMING.NET_TIMEOUT_SECONDS,
    };
  }
  return {
    ...common,
    binlog_transaction_compression: "ON",
    enforce_gtid_consistency: "ON",
    gtid_mode: "ON",
    log_replica_updates: "ON",
    replica_net_timeout: REPLICATION_TIMING.NET_TIMEOUT_SECONDS,
    super_read_only: "ON",
  };
}

/** A deterministic option file: one `[mysqld]` group, keys sorted. */
export function renderMyCnf(config: Readonly<Record<string, MyCnfValue>>): string {
  const lines = Object.keys(config)
    .sort()
    .map((key) => `${key} = ${String(config[key])}`);
  return [
    "# Managed by Fortress (GtidMySql). Edits are overwritten; options set here win over the",
    "# packaged files, which the configure step comments out where they would override them.",
    "[mysqld]",
    ...lines,
    "",
  ].join("\n");
}

/**
 * A systemd drop-in for the server's unit: it starts after the mesh interface is up, since it
 * listens on the mesh address only (a server started before would fail to bind it at boot).
 */
export function renderServiceDropIn(meshInterface: string): string {
  return [
    "# Managed by Fortress (GtidMySql): the server listens on the mesh address, which exists once",
    "# the mesh interface is up.",
    "[Unit]",
    `Wants=wg-quick@${meshInterface}.service`,
    `After=wg-quick@${meshInterface}.service`,
    "",
  ].join("\n");
}

/** A mesh address as MySQL can bind to it: an IPv4 or IPv6 literal. */
export function checkBindAddress(problems: InputProblems, value: string, propertyPath: string): boolean {
  return problems.check(
    net.isIP(value) !== 0,
    propertyPath,
    `${JSON.stringify(value)} is not an IP address; give each node's mesh address (WireGuardMesh.addresses)`,
  );
}

/** Where each account may log in from: MySQL `'user'@'host'` hosts, IP literals only, never `%`. */
export interface AccountHosts {
  /** The admin account: the primary's own host and the Fortress members, plus what the config allows. */
  readonly admin: readonly string[];
  /** The replication account: the replicas' mesh addresses, nothing else. */
  readonly replication: readonly string[];
  /** The backup account (read-only): the backup node's mesh address; none without backups. */
  readonly backup?: readonly string[];
}

/**
 * The one place an account is bound to where it is used. `fortressMembers` are the database's
 * nodes in the Fortress zone (a Fleet node never gets the admin account); `extraAdminHosts` are
 * what the config allows besides (addresses, checked by the caller). Sorted, each once.
 */
export function accountHosts(
  addresses: Readonly<Record<string, string>>,
  primary: string,
  replicas: readonly string[],
  fortressMembers: readonly string[],
  extraAdminHosts: readonly string[] = [],
  backupNode?: string,
): AccountHosts {
  const sorted = (xs: readonly (string | undefined)[]) =>
    [...new Set(xs.filter((x): x is string => !!x))].sort();
  return {
    admin: sorted([addresses[primary], ...fortressMembers.map((n) => addresses[n]), ...extraAdminHosts]),
    replication: sorted(replicas.map((r) => addresses[r])),
    ...(backupNode ? { backup: sorted([addresses[backupNode]]) } : {}),
  };
}

/**
 * The database port on the mesh: on every member, from every member (replication and the admin's
 * hosts) and the backup node, plus the extra admin hosts. Not open to the Fleet: a member in the
 * Fleet (possible only for data that is not personal) is let in only when the data is not personal.
 */
export function mySqlMeshPorts(
  component: string,
  members: readonly string[],
  port: number,
  extraSources: readonly string[],
  personal: boolean,
  sourceNodes: readonly string[] = [],
): MeshPortDeclaration[] {
  return [
    {
      component,
      service: "mysql",
      protocol: "tcp",
      ports: [port, port],
      on: [...members],
      from: [...new Set([...members, ...sourceNodes])],
      fromCidrs: [...extraSources],
      fleet: !personal,
    },
  ];
}

/** Options the server takes while running: a change of only these is applied live, without a restart. */
export const DYNAMIC_OPTIONS: readonly string[] = ["read_only", "super_read_only"];

/** The guard a server runs after every start (components/gtidMySql/guard.sh), and what it reads. */
export const GUARD_FILE = "/usr/local/lib/fortress/mysql-guard";
export const GUARD_UNIT_FILE = "/etc/systemd/system/fortress-mysql-guard.service";
/** `primary REPLICAS` or `replica`, written by the configure step. */
export const ROLE_FILE = "/var/lib/fortress/mysql/role";

/** The guard's unit: it runs after each start of the server, and stops and restarts with it. */
export function renderGuardUnit(service: string): string {
  return [
    "# Managed by Fortress (GtidMySql): every server starts read-only; this lets the primary take",
    "# writes once a replica follows it (README, Failover).",
    "[Unit]",
    "Description=Fortress GtidMySql guard: the primary takes writes once a replica follows it",
    `After=${service}.service`,
    `PartOf=${service}.service`,
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${GUARD_FILE}`,
    "",
    "[Install]",
    `WantedBy=${service}.service`,
    "",
  ].join("\n");
}
