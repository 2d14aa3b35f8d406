import * as path from "path";
import {
  ADMIN_USER,
  AccountHosts,
  BACKUP_PRIVILEGES,
  BACKUP_USER,
  BINLOG_DIR,
  CA_FILE,
  CERT_FILE,
  CONFIG_FILE_NAME,
  KEY_FILE,
  MySqlFlavour,
  MySqlRole,
  REPLICATION_USER,
  TLS_DIR,
  DYNAMIC_OPTIONS,
  GUARD_FILE,
  GUARD_UNIT_FILE,
  ROLE_FILE,
  flavourFacts,
  renderGuardUnit,
  mysqlAptRelease,
  mysqlVersionPrefix,
  renderServiceDropIn,
} from "../../sdk/mysql";
import {
  PASSWORD_MARK,
  ReplicationSource,
  backupDumpOptions,
  backupPaths,
  changeSourceStatement,
  replicationDialect,
  resetGtidsStatement,
} from "../../sdk/mysqlReplication";
import { renderTemplate, shippedFile } from "../../sdk/scripts/render";

/** Oracle's APT repository for MySQL on Debian. */
export const MYSQL_APT_URL = "https://repo.mysql.com/apt";
/** Oracle's release signing key (mysql-build@oss.oracle.com), refreshed there when its expiry is extended. */
export const MYSQL_APT_KEY_URL = "https://repo.mysql.com/RPM-GPG-KEY-mysql-2025";
/** The key's fingerprint as the MySQL manual publishes it (key id B7B3B788A8D3785C). */
export const MYSQL_APT_KEY_FINGERPRINT = "BCA43417C3B485DD128EC6D4B7B3B788A8D3785C";
/** How long a replica may take to be replicating before its replication step fails, in seconds. */
export const CONNECT_TIMEOUT_SECONDS = 60;
/** How long a switchover waits for the new primary to apply what the old one wrote, in seconds. */
export const CATCH_UP_TIMEOUT_SECONDS = 120;

const HELPERS_MARKER = "# @gtid-mysql-helpers";

/** Fills a template of this folder; `# @gtid-mysql-helpers` becomes mysql-helpers.bash. */
function render(name: string, values: Readonly<Record<string, string | number>>): string {
  let template = withHelpers.get(name);
  if (template === undefined) {
    const helpers = shippedFile(path.join(__dirname, "mysql-helpers.bash")).trimEnd();
    template = shippedFile(path.join(__dirname, name)).replace(HELPERS_MARKER, helpers);
    withHelpers.set(name, template);
  }
  return renderTemplate(template, values);
}
const withHelpers = new Map<string, string>();

export function renderInstallScript(flavour: MySqlFlavour): string {
  const mysql = flavour !== MySqlFlavour.MariaDb;
  return render("install.sh", {
    FLAVOUR: flavour,
    SERVICE: flavourFacts(flavour).service,
    MYSQL_RELEASE: mysql ? mysqlAptRelease(flavour) : "",
    MYSQL_VERSION: mysql ? mysqlVersionPrefix(flavour) : "",
    MYSQL_APT_URL,
    MYSQL_APT_KEY_URL,
    MYSQL_APT_KEY_FINGERPRINT,
  });
}

/** The plain values one node's configure step writes. */
export interface ConfigureInput {
  readonly flavour: MySqlFlavour;
  readonly role: MySqlRole;
  readonly serverId: number;
  readonly bindAddress: string;
  readonly port: number;
  /** The rendered option file (renderMyCnf). */
  readonly myCnf: string;
  readonly caPem: string;
  readonly certPem: string;
  /** The mesh interface the server waits for at boot. */
  readonly meshInterface: string;
  /** How many replicas the database has: a primary after a restart of its own waits for one. */
  readonly replicas: number;
}

/** The path of the option file the component owns for a flavour. */
export function configFilePath(flavour: MySqlFlavour): string {
  return `${flavourFacts(flavour).configDir}/${CONFIG_FILE_NAME}`;
}

/** The path of the drop-in that orders the server's unit after the mesh. */
export function dropInPath(flavour: MySqlFlavour): string {
  return `/etc/systemd/system/${flavourFacts(flavour).service}.service.d/60-fortress.conf`;
}

/** The guard every server runs after it starts (guard.sh): a primary takes writes once a replica follows it. */
export function renderGuardScript(flavour: MySqlFlavour): string {
  const d = replicationDialect(flavour);
  return render("guard.sh", {
    CLIENT: flavourFacts(flavour).client,
    SHOW_STATUS: d.showStatus,
    WRITABLE: d.writable,
    ROLE_FILE,
  });
}

export function renderConfigureScript(c: ConfigureInput): string {
  const facts = flavourFacts(c.flavour);
  const d = replicationDialect(c.flavour);
  return render("configure.sh", {
    FLAVOUR: c.flavour,
    SERVICE: facts.service,
    CLIENT: facts.client,
    CONFIG_DIR: facts.configDir,
    CONFIG_FILE: configFilePath(c.flavour),
    MY_CNF: c.myCnf,
    DROP_IN_FILE: dropInPath(c.flavour),
    DROP_IN: renderServiceDropIn(c.meshInterface),
    BINLOG_DIR,
    TLS_DIR,
    CA_FILE,
    CERT_FILE,
    KEY_FILE,
    CA_PEM: c.caPem,
    CERT_PEM: c.certPem,
    DYNAMIC_OPTIONS: DYNAMIC_OPTIONS.join(" "),
    ROLE: c.role,
    REPLICAS: c.replicas,
    READ_ONLY: d.readOnly,
    WRITABLE: d.writable,
    ROLE_FILE,
    GUARD_FILE,
    GUARD: renderGuardScript(c.flavour),
    GUARD_UNIT_FILE,
    GUARD_UNIT: renderGuardUnit(facts.service),
    // server_id port bind_address log_bin read_only, as the running server reports them.
    EXPECTED: [c.serverId, c.port, c.bindAddress, 1, c.role === "replica" ? 1 : 0].join(" "),
  });
}

/** The plain values one node's replication step uses. */
export interface ReplicationInput {
  readonly flavour: MySqlFlavour;
  readonly role: MySqlRole;
  /** The primary, for a replica. */
  readonly source?: ReplicationSource;
  /** Where each account may log in from (accountHosts); the primary binds them there. */
  readonly accountHosts?: AccountHosts;
  /** On the primary: also the backup account (its password is a third line on stdin). */
  readonly backupAccount?: boolean;
}

export function renderReplicationScript(r: ReplicationInput): string {
  const d = replicationDialect(r.flavour);
  return render("replication.sh", {
    SHOW_STATUS: d.showStatus,
    STOP: d.stop,
    START: d.start,
    HOST_FIELD: d.hostField,
    IO_FIELD: d.ioField,
    SQL_FIELD: d.sqlField,
    ADOPT_POSITION: d.adoptPosition,
    FLAVOUR: r.flavour,
    ROLE: r.role,
    CLIENT: flavourFacts(r.flavour).client,
    ADMIN_USER,
    REPLICATION_USER,
    BACKUP_USER: r.backupAccount && r.role === "primary" ? BACKUP_USER : "",
    BACKUP_PRIVILEGES,
    CHANGE_SOURCE: r.source ? changeSourceStatement(r.flavour, r.source) : "",
    PASSWORD_MARK,
    SOURCE_HOST: r.source?.host ?? "",
    SOURCE_PORT: r.source?.port ?? "",
    CA_FILE,
    TLS_VERIFY: tlsVerifyOption(r.flavour),
    GTID_HISTORY: d.gtidHistory,
    CONNECT_TIMEOUT: CONNECT_TIMEOUT_SECONDS,
    ADMIN_HOSTS: (r.accountHosts?.admin ?? []).join(" "),
    REPLICATION_HOSTS: (r.accountHosts?.replication ?? []).join(" "),
    BACKUP_HOSTS: (r.accountHosts?.backup ?? []).join(" "),
  });
}

export function renderTeardownScript(flavour: MySqlFlavour, role: MySqlRole): string {
  const facts = flavourFacts(flavour);
  const d = replicationDialect(flavour);
  return render("teardown.sh", {
    SHOW_STATUS: d.showStatus,
    STOP: d.stop,
    RESET_ALL: d.resetAll,
    ROLE: role,
    SERVICE: facts.service,
    CLIENT: facts.client,
    CONFIG_DIR: facts.configDir,
    CONFIG_FILE: configFilePath(flavour),
    DROP_IN_FILE: dropInPath(flavour),
    TLS_DIR,
    ROLE_FILE,
    GUARD_FILE,
    GUARD_UNIT_FILE,
  });
}

/** A node that refuses writes now, as its demote step reported it. */
export interface DemotedNode {
  readonly name: string;
  readonly address: string;
  readonly gtids: string;
}

/** The plain values the step that makes a node the primary uses. */
export interface PromoteInput {
  readonly flavour: MySqlFlavour;
  /** Every other reachable node, with the GTIDs it reported (demote step). */
  readonly demoted: readonly DemotedNode[];
  /** In a failover: the primary that is gone, its name and mesh address. */
  readonly failed?: { readonly name: string; readonly address: string };
}

/** The switchover step on the node the config names primary (runs before its configure step). */
export function renderPromoteScript(p: PromoteInput): string {
  const facts = flavourFacts(p.flavour);
  const d = replicationDialect(p.flavour);
  return render("promote.sh", {
    SERVICE: facts.service,
    CLIENT: facts.client,
    SHOW_STATUS: d.showStatus,
    STOP: d.stop,
    STOP_RECEIVING: d.stopReceiving,
    RESET_ALL: d.resetAll,
    HOST_FIELD: d.hostField,
    RECEIVED_FIELD: d.receivedField,
    EXECUTED_GTIDS: d.executedGtids,
    WAIT_FOR_GTIDS: d.waitForGtids,
    WRITABLE: d.writable,
    CATCH_UP_TIMEOUT: CATCH_UP_TIMEOUT_SECONDS,
    DEMOTED: p.demoted.map((n) => `${n.name}@${n.address}=${n.gtids}`).join(" "),
    FAILED: p.failed ? `${p.failed.name}@${p.failed.address}` : "",
  });
}

/** The step on every replica that makes it refuse writes and report its GTIDs, before the primary's promote. */
export function renderDemoteScript(flavour: MySqlFlavour): string {
  const facts = flavourFacts(flavour);
  const d = replicationDialect(flavour);
  return render("demote.sh", {
    SERVICE: facts.service,
    CLIENT: facts.client,
    READ_ONLY: d.readOnly,
    EXECUTED_GTIDS: d.executedGtids,
  });
}

/** What stands for each step of the primary that is gone, during a failover (fenced.sh). */
export function renderFencedScript(node: string): string {
  return render("fenced.sh", { NODE: node });
}

/** The client option that verifies the server's certificate against the address it dials. */
function tlsVerifyOption(flavour: MySqlFlavour): string {
  return flavour === MySqlFlavour.MariaDb ? "ssl-verify-server-cert" : "ssl-mode=VERIFY_IDENTITY";
}

/** The GTIDs a demote step reported (its last `gtids=` line), or undefined if it printed none. */
export function reportedGtids(stdout: string): string | undefined {
  const m = /^gtids=([0-9A-Za-z:,-]*)$/m.exec(stdout);
  return m ? m[1] : undefined;
}

/** The plain values the backup node's step uses. */
export interface BackupTargetInput {
  readonly flavour: MySqlFlavour;
  /** The database's name (its backups' folder and unit names). */
  readonly database: string;
  /** The primary's mesh address and port. */
  readonly primary: string;
  readonly port: number;
  readonly caPem: string;
  /** The public key (PEM) each backup's key is sealed with. */
  readonly publicKeyPem: string;
  /** systemd OnCalendar of the timer. */
  readonly onCalendar: string;
  /** How many backups to keep. */
  readonly keep: number;
}

export function renderBackupJobScript(b: BackupTargetInput): string {
  const { dump, options } = backupDumpOptions(b.flavour);
  const paths = backupPaths(b.database);
  return render("backup-job.sh", {
    DUMP: dump,
    DUMP_OPTIONS: options.join(" "),
    PRIMARY: b.primary,
    PORT: b.port,
    DIR: paths.dir,
    CONF_DIR: paths.confDir,
    KEEP: b.keep,
  });
}

export function renderBackupTargetScript(b: BackupTargetInput): string {
  const paths = backupPaths(b.database);
  return render("backup-target.sh", {
    NAME: b.database,
    DUMP: backupDumpOptions(b.flavour).dump,
    TLS_VERIFY: tlsVerifyOption(b.flavour),
    DIR: paths.dir,
    CONF_DIR: paths.confDir,
    CA_PEM: b.caPem,
    PUBLIC_KEY: b.publicKeyPem,
    JOB: renderBackupJobScript(b),
    ON_CALENDAR: b.onCalendar,
  });
}

export function renderBackupTeardownScript(database: string): string {
  return render("backup-teardown.sh", { NAME: database, CONF_DIR: backupPaths(database).confDir });
}

/** The restore an operator runs on a fresh host (README, "Restore a backup"). */
export function renderRestoreScript(flavour: MySqlFlavour): string {
  const facts = flavourFacts(flavour);
  const d = replicationDialect(flavour);
  return render("restore.sh", {
    FLAVOUR: flavour,
    SERVICE: facts.service,
    CLIENT: facts.client,
    SHOW_STATUS: d.showStatus,
    RESET_GTIDS: resetGtidsStatement(flavour),
    EXECUTED_GTIDS: d.executedGtids,
  });
}
