// What GtidMySql says to a server about replication, in each flavour's dialect: the statement
// that points a replica at its source, the statements and status fields of the roles (switchover,
// failover, restore), and the backups' dump. The server's own configuration is in ./mysql.ts.
import { CA_FILE, MySqlFlavour, REPLICATION_TIMING, REPLICATION_USER } from "./mysql";

/** Stands for the replication password in a rendered statement; the host puts it in from stdin. */
export const PASSWORD_MARK = "@FORTRESS_REPLICATION_PASSWORD@";

/** Where a replica reads from. */
export interface ReplicationSource {
  /** The primary's mesh address. */
  readonly host: string;
  readonly port: number;
}

const sqlString = (value: string): string => `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

/**
 * The statement that points a replica at the primary, in the flavour's dialect: GTID
 * auto-positioning, TLS verified against the component's CA (the certificate carries the mesh
 * address), quick reconnects. The password is `PASSWORD_MARK`; it never leaves the host's stdin.
 */
export function changeSourceStatement(flavour: MySqlFlavour, source: ReplicationSource): string {
  const t = REPLICATION_TIMING;
  if (flavour === MySqlFlavour.MariaDb) {
    return [
      `CHANGE MASTER TO MASTER_HOST=${sqlString(source.host)}, MASTER_PORT=${source.port},`,
      `  MASTER_USER=${sqlString(REPLICATION_USER)}, MASTER_PASSWORD='${PASSWORD_MARK}',`,
      "  MASTER_USE_GTID=slave_pos,",
      `  MASTER_SSL=1, MASTER_SSL_CA=${sqlString(CA_FILE)}, MASTER_SSL_VERIFY_SERVER_CERT=1,`,
      `  MASTER_CONNECT_RETRY=${t.CONNECT_RETRY_SECONDS}, MASTER_HEARTBEAT_PERIOD=${t.HEARTBEAT_SECONDS};`,
    ].join("\n");
  }
  return [
    `CHANGE REPLICATION SOURCE TO SOURCE_HOST=${sqlString(source.host)}, SOURCE_PORT=${source.port},`,
    `  SOURCE_USER=${sqlString(REPLICATION_USER)}, SOURCE_PASSWORD='${PASSWORD_MARK}',`,
    "  SOURCE_AUTO_POSITION=1,",
    `  SOURCE_SSL=1, SOURCE_SSL_CA=${sqlString(CA_FILE)}, SOURCE_SSL_VERIFY_SERVER_CERT=1,`,
    `  SOURCE_CONNECT_RETRY=${t.CONNECT_RETRY_SECONDS}, SOURCE_RETRY_COUNT=${t.RETRY_COUNT},`,
    `  SOURCE_HEARTBEAT_PERIOD=${t.HEARTBEAT_SECONDS};`,
  ].join("\n");
}

/**
 * The statements and status fields a flavour speaks for replication and its roles, in one place,
 * so every script (replication, switchover, failover, restore) says the same thing the same way.
 */
export interface ReplicationDialect {
  readonly showStatus: string;
  readonly stop: string;
  /** Stops receiving only: what was received is still applied (a failover, the source gone). */
  readonly stopReceiving: string;
  readonly start: string;
  /** Forgets the source entirely (a promoted server has none). */
  readonly resetAll: string;
  /** Run before a replica is (re)pointed, so it asks its new source for what it lacks; may be empty. */
  readonly adoptPosition: string;
  readonly hostField: string;
  readonly ioField: string;
  readonly sqlField: string;
  /** The status field with the GTIDs this replica has received from its source (applied or not). */
  readonly receivedField: string;
  /** The GTIDs this server has written to its binary log (what a replica must have applied). */
  readonly executedGtids: string;
  /**
   * Every GTID this server has in its history, per server that wrote them (what an errant check
   * compares: MariaDB's gtid_binlog_pos has only the last GTID of each domain).
   */
  readonly gtidHistory: string;
  /** A SELECT of a statement that waits for the set `@GTIDS` (an SQL string) up to `@SECONDS`; 0 when done. */
  readonly waitForGtids: string;
  /** Statements that make the server refuse writes from every client, the admin account included. */
  readonly readOnly: string;
  /** Statements that make it take writes again. */
  readonly writable: string;
}

export function replicationDialect(flavour: MySqlFlavour): ReplicationDialect {
  if (flavour === MySqlFlavour.MariaDb) {
    return {
      showStatus: "SHOW SLAVE STATUS",
      stop: "STOP SLAVE",
      stopReceiving: "STOP SLAVE IO_THREAD",
      start: "START SLAVE",
      resetAll: "RESET SLAVE ALL",
      // MASTER_USE_GTID=slave_pos starts from gtid_slave_pos, which lacks a former primary's own.
      adoptPosition: "SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_current_pos;",
      hostField: "Master_Host",
      ioField: "Slave_IO_Running",
      sqlField: "Slave_SQL_Running",
      receivedField: "Gtid_IO_Pos",
      executedGtids: "SELECT @@GLOBAL.gtid_binlog_pos",
      gtidHistory: "SELECT @@GLOBAL.gtid_binlog_state",
      // MASTER_GTID_WAIT is 0 once gtid_slave_pos holds the position, -1 on timeout.
      waitForGtids: "SELECT MASTER_GTID_WAIT(@GTIDS, @SECONDS) = 0",
      readOnly: "SET GLOBAL read_only = ON",
      writable: "SET GLOBAL read_only = OFF",
    };
  }
  return {
    showStatus: "SHOW REPLICA STATUS",
    stop: "STOP REPLICA",
    stopReceiving: "STOP REPLICA IO_THREAD",
    start: "START REPLICA",
    resetAll: "RESET REPLICA ALL",
    // Auto-positioning sends what gtid_executed lacks, whoever wrote it.
    adoptPosition: "",
    hostField: "Source_Host",
    ioField: "Replica_IO_Running",
    sqlField: "Replica_SQL_Running",
    receivedField: "Retrieved_Gtid_Set",
    // One line: MySQL puts a newline between the sets of different servers.
    executedGtids: "SELECT REPLACE(@@GLOBAL.gtid_executed, '\\n', '')",
    gtidHistory: "SELECT REPLACE(@@GLOBAL.gtid_executed, '\\n', '')",
    // WAIT_FOR_EXECUTED_GTID_SET is 0 once gtid_executed holds the set, 1 on timeout.
    waitForGtids: "SELECT WAIT_FOR_EXECUTED_GTID_SET(@GTIDS, @SECONDS) = 0",
    readOnly: "SET GLOBAL super_read_only = ON",
    writable: "SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF",
  };
}

/** Where the backup node keeps one database's backups, and its configuration for them. */
export const backupPaths = (database: string) => ({
  dir: `/var/backups/fortress-mysql/${database}`,
  confDir: `/etc/fortress/mysql-backup/${database}`,
});

/** The dump a backup is: consistent (one transaction), with its GTID position, everything. */
export function backupDumpOptions(flavour: MySqlFlavour): { dump: string; options: string[] } {
  const common = [
    "--single-transaction",
    "--all-databases",
    "--routines",
    "--events",
    "--triggers",
    "--hex-blob",
  ];
  if (flavour === MySqlFlavour.MariaDb) {
    return { dump: "mariadb-dump", options: [...common, "--gtid", "--master-data=2"] };
  }
  return {
    dump: "mysqldump",
    options: [...common, "--source-data=2", "--set-gtid-purged=ON", "--no-tablespaces"],
  };
}

/** What empties a fresh server's GTID history before a restore sets it (MySQL's gtid_purged needs it). */
export function resetGtidsStatement(flavour: MySqlFlavour): string {
  if (flavour === MySqlFlavour.MariaDb) return "";
  // 8.4 removed RESET MASTER.
  return flavour === MySqlFlavour.Mysql84 ? "RESET BINARY LOGS AND GTIDS" : "RESET MASTER";
}
