import * as assert from "assert";
import * as fc from "fast-check";
import { MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { renderInstallScript } from "../../components/gtidMySql/scripts";
import { InputProblems } from "../../sdk/errors";
import { mySqlConfig, planServerIds, renderMyCnf, serverIdOf } from "../../sdk/mysql";
import { changeSourceStatement } from "../../sdk/mysqlReplication";
import { mocks } from "./setup";
import { database, create, MYSQL_PRIMARY_CNF } from "./gtidMySqlFixtures";

// What GtidMySql renders as data: MySQL 8.4's statements and options, my.cnf, server ids.

describe("MySQL 8.4 LTS (cannot run on the offline lab: its statements and config, checked here)", () => {
  // What 8.4 removed (the MySQL 8.4 release notes, "Features Removed"): the MASTER/SLAVE statements
  // and options, and these server options.
  const REMOVED_STATEMENTS =
    /CHANGE MASTER|START SLAVE|STOP SLAVE|RESET SLAVE|SHOW SLAVE|SHOW MASTER STATUS|MASTER_[A-Z_]+\s*=|Slave_IO_Running|Master_Host|mysql_native_password/;
  const REMOVED_OPTIONS = [
    "default_authentication_plugin",
    "expire_logs_days",
    "log_slave_updates",
    "slave_net_timeout",
    "master_info_repository",
    "relay_log_info_repository",
    "binlog_transaction_dependency_tracking",
    "transaction_write_set_extraction",
    "skip_host_cache",
  ];
  const node = { serverId: 7, bindAddress: "10.100.0.1", port: 3306, binlogRetentionDays: 7 };

  it("speaks only statements 8.4 still has, in every script it runs (replication, switchover)", async () => {
    await database("db", { flavour: MySqlFlavour.Mysql84 });
    for (const r of mocks.resources.filter((x) => x.type === "command:remote:Command")) {
      assert.doesNotMatch(String(r.inputs.create), REMOVED_STATEMENTS, r.name);
      assert.doesNotMatch((r.inputs.delete as string | undefined) ?? "", REMOVED_STATEMENTS, r.name);
    }
    const statement = changeSourceStatement(MySqlFlavour.Mysql84, { host: "10.100.0.1", port: 3306 });
    assert.match(statement, /^CHANGE REPLICATION SOURCE TO SOURCE_HOST='10\.100\.0\.1'/);
    assert.match(statement, /SOURCE_AUTO_POSITION=1/);
    assert.match(
      statement,
      /SOURCE_SSL=1, SOURCE_SSL_CA='\/etc\/mysql\/fortress\/ca\.pem', SOURCE_SSL_VERIFY_SERVER_CERT=1/,
    );
    assert.match(create("db-osl-2-replication"), /^start='START REPLICA'$/m);
    assert.match(create("db-osl-1-promote"), /^RESET_ALL='RESET REPLICA ALL'$/m);
    assert.match(create("db-osl-1-promote"), /WAIT_FOR_EXECUTED_GTID_SET\(@GTIDS, @SECONDS\)/);
    assert.match(create("db-osl-2-demote"), /^READ_ONLY='SET GLOBAL super_read_only = ON'$/m);
  });

  it("sets no option 8.4 removed, and GTIDs on, for both roles", () => {
    for (const role of ["primary", "replica"] as const) {
      const cnf = mySqlConfig({ flavour: MySqlFlavour.Mysql84, role, ...node });
      for (const o of REMOVED_OPTIONS) assert.ok(!(o in cnf), `${o} is set`);
      assert.strictEqual(cnf.gtid_mode, "ON");
      assert.strictEqual(cnf.enforce_gtid_consistency, "ON");
      assert.strictEqual(cnf.log_replica_updates, "ON");
      // Every server starts read-only: the guard lets the primary take writes (failover fence).
      assert.strictEqual(cnf.super_read_only, "ON");
    }
  });

  it("installs 8.4 from Oracle's 8.4 LTS series, refuses an 8.0 it finds, and 8.0 stays selectable", () => {
    const install84 = renderInstallScript(MySqlFlavour.Mysql84);
    assert.match(install84, /^MYSQL_RELEASE='mysql-8\.4-lts'$/m);
    assert.match(install84, /\$MYSQL_APT_URL\/\$ID \$VERSION_CODENAME \$MYSQL_RELEASE/);
    assert.match(install84, /upgrading MySQL is a runbook of its own/);
    const install80 = renderInstallScript(MySqlFlavour.Mysql80);
    assert.match(install80, /^MYSQL_RELEASE='mysql-8\.0'$/m);
    assert.match(install80, /^MYSQL_VERSION='8\.0\.'$/m);
  });
});

describe("MySQL configuration and server ids (pure)", () => {
  it("renders my.cnf sorted, whatever order the settings come in", () => {
    const settings = {
      flavour: MySqlFlavour.Mysql80,
      role: "primary" as const,
      serverId: 697887281,
      bindAddress: "10.100.0.1",
      port: 3306,
      binlogRetentionDays: 7,
    };
    const config = mySqlConfig(settings);
    const reversed = Object.fromEntries(Object.entries(config).reverse());
    assert.strictEqual(renderMyCnf(reversed), renderMyCnf(config));
    assert.strictEqual(renderMyCnf(config), MYSQL_PRIMARY_CNF);
  });

  it("has the seed's durability settings in both flavours", () => {
    for (const flavour of [MySqlFlavour.Mysql80, MySqlFlavour.MariaDb]) {
      const c = mySqlConfig({
        flavour,
        role: "replica",
        serverId: 1,
        bindAddress: "10.100.0.2",
        port: 3306,
        binlogRetentionDays: 7,
      });
      assert.strictEqual(c.sync_binlog, 1);
      assert.strictEqual(c.innodb_flush_log_at_trx_commit, 1);
      assert.strictEqual(c.binlog_format, "ROW");
      assert.strictEqual(c.log_bin, "/var/log/mysql/mysql-bin.log");
      assert.strictEqual(c.read_only, "ON");
    }
  });

  it("quotes the primary's address as SQL in the statement that points a replica at it", () => {
    assert.match(
      changeSourceStatement(MySqlFlavour.Mysql80, { host: "fd00::1", port: 3306 }),
      /SOURCE_HOST='fd00::1'/,
    );
  });

  it("gives each name one id in 1..4294967295, the same in any company (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), { minLength: 1, maxLength: 12 }),
        (names) => {
          const problems = new InputProblems();
          const ids = planServerIds(names, {}, problems, (n) => n);
          for (const n of names) {
            if (!(n in ids)) continue; // a hash clash, reported as a problem
            assert.ok(ids[n] >= 1 && ids[n] <= 4294967295);
            assert.strictEqual(ids[n], serverIdOf(n));
          }
          assert.strictEqual(new Set(Object.values(ids)).size, Object.keys(ids).length);
          assert.strictEqual(Object.keys(ids).length + problems.list.length, names.length);
        },
      ),
    );
  });
});
