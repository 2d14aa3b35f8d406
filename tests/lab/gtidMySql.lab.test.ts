// GtidMySql (MariaDB) on real hosts, on top of KvmNode and WireGuardMesh: the scripts the
// components render, run over real SSH by the lab engine, then checked on the hosts for real.
// MySQL 8.0 cannot be installed on the offline lab; its scripts are covered by the unit tests
// and shellcheck.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { deploy, engine } from "./engine";
import { ADMIN_OPTIONS, mysqlClient, until } from "./mysqlClient";
import { labSuite } from "./suite";

const NAMES = ["alfa", "bravo", "charlie"];
const [PRIMARY, ...REPLICAS] = NAMES;

describe("GtidMySql on the lab (MariaDB over the mesh)", function () {
  const { host, kvmNode } = labSuite(NAMES, { realProviders: true });
  const { sql, slaveStatus, adminClient } = mysqlClient(host);

  /** The program: three nodes, a mesh over them, and the database on the mesh. */
  function stack(port = 3306) {
    const nodes = NAMES.map((n) => kvmNode(n));
    // "charlie" hashes to the address "bravo" has; preview said so and named a free one to pin.
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      addresses: { charlie: "10.100.0.254" },
    });
    const [primary, ...replicas] = nodes.map((n) => n.host());
    const db = new GtidMySql("db", {
      primary,
      replicas,
      addresses: mesh.addresses,
      meshReady: NAMES.map((n) => mesh.appliedOn(n)),
      flavour: MySqlFlavour.MariaDb,
      port,
    });
    return { nodes, mesh, db };
  }
  const waitFor = (built: ReturnType<typeof stack>) => [
    built.db.primaryEndpoint,
    ...NAMES.map((n) => built.db.readyOn(n).stdout),
  ];
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

  let addresses: Record<string, string> = {};
  let adminPassword = "";
  let replicationPassword = "";
  /** SQL as the admin account, over TLS on the node's mesh address, from the primary's host. */
  const asAdmin = (name: string, statement: string) =>
    host(PRIMARY).exec(
      `mariadb --defaults-extra-file=${ADMIN_OPTIONS} -h ${addresses[name]} --batch --skip-column-names`,
      { stdin: statement, check: false },
    );
  const count = (name: string) => sql(name, "SELECT COUNT(*) FROM fortress_lab.items");
  const startedAt = (name: string) =>
    host(name)
      .exec("systemctl show -p ActiveEnterTimestampMonotonic --value mariadb")
      .then((r) => r.stdout.trim());

  it("installs nothing (MariaDB is there), configures three servers on the mesh, accounts, TLS replication", async () => {
    const start = Date.now();
    const built = await deploy(() => stack(), waitFor);
    console.log(
      `    first deployment (nodes, mesh, database) in ${((Date.now() - start) / 1000).toFixed(1)} s`,
    );
    addresses = await value(built.mesh.addresses);
    adminPassword = await value(built.db.adminPassword);
    replicationPassword = await value(built.db.replicationPassword);
    const ids = await value(built.db.serverIds);
    assert.strictEqual(await value(built.db.primaryEndpoint), `${addresses.alfa}:3306`);
    assert.deepStrictEqual(await value(built.db.replicaEndpoints), {
      bravo: `${addresses.bravo}:3306`,
      charlie: `${addresses.charlie}:3306`,
    });

    for (const run of engine.ran("-install")) assert.match(run.stdout, /changed: none/, run.host);
    for (const run of engine.ran("-config")) {
      if (!run.name.startsWith("db-")) continue;
      assert.match(
        run.stdout,
        // Every server starts read-only; the primary's step makes it writable after the restart.
        run.name === "db-alfa-config"
          ? /changed: binlog-dir tls-dir tls config role guard guard-enabled unit-order socket-activation-off restarted writable$/m
          : /changed: binlog-dir tls-dir tls config role guard guard-enabled unit-order socket-activation-off restarted$/m,
        run.host,
      );
    }
    assert.match(engine.ran("db-alfa-accounts")[0].stdout, /changed: admin-account replication-account/);
    for (const r of REPLICAS)
      assert.match(engine.ran(`db-${r}-replication`)[0].stdout, /changed: replication-source/);

    for (const name of NAMES) {
      const h = host(name);
      const role = name === PRIMARY ? "0" : "1";
      assert.strictEqual(
        await sql(
          name,
          "SELECT @@server_id, @@bind_address, @@port, @@log_bin, @@read_only, @@gtid_strict_mode",
        ),
        `${ids[name]}\t${addresses[name]}\t3306\t1\t${role}\t1`,
      );
      // Listening on the mesh address only.
      const listening = (await h.exec("ss -Htln sport = :3306")).stdout.trim().split("\n");
      assert.deepStrictEqual(
        listening.map((l) => l.split(/\s+/)[3]),
        [`${addresses[name]}:3306`],
      );
      assert.strictEqual((await h.exec("stat -c '%U %a' /var/log/mysql")).stdout.trim(), "mysql 750");
      assert.strictEqual(
        (await h.exec("stat -c '%U %a' /etc/mysql/fortress/server-key.pem")).stdout.trim(),
        "mysql 600",
      );
      assert.match((await h.exec("ls /var/log/mysql")).stdout, /^mysql-bin\.000001$/m);
      // The passwords are nowhere on disk outside the database (a replica keeps its source's in
      // master.info, as MariaDB does), and not in any binary log.
      for (const secret of [adminPassword, replicationPassword]) {
        const found = await h.exec(
          'secret=$(cat); grep -rlF -D skip -- "$secret" /etc /var/log /var/lib/fortress /tmp /run /root; ' +
            'mariadb-binlog /var/log/mysql/mysql-bin.[0-9]* | grep -cF -- "$secret" || true',
          { stdin: secret, check: false },
        );
        assert.strictEqual(found.stdout.trim(), "0", `${name} has a password in ${found.stdout}`);
      }
    }
    // Each account bound to where it is used: replication from the replicas, the admin from the
    // primary and the Fortress members; no account of ours at '%'.
    assert.strictEqual(
      await sql(
        PRIMARY,
        "SELECT Host, ssl_type, Repl_slave_priv FROM mysql.user WHERE User = 'fortress_repl' ORDER BY Host",
      ),
      [addresses.bravo, addresses.charlie]
        .sort()
        .map((a) => `${a}\tANY\tY`)
        .join("\n"),
    );
    assert.strictEqual(
      await sql(PRIMARY, "SELECT Host FROM mysql.user WHERE User = 'fortress_admin' ORDER BY Host"),
      [addresses.alfa, addresses.bravo, addresses.charlie].sort().join("\n"),
    );
    for (const r of REPLICAS) {
      const s = await slaveStatus(r);
      assert.strictEqual(s.Master_Host, addresses.alfa);
      assert.strictEqual(s.Using_Gtid, "Slave_Pos");
      assert.strictEqual(s.Master_SSL_Allowed, "Yes");
      assert.strictEqual(s.Master_SSL_Verify_Server_Cert, "Yes");
      assert.strictEqual(s.Slave_IO_Running, "Yes");
      assert.strictEqual(s.Slave_SQL_Running, "Yes");
    }
    // For the tests below: the admin account, as a client would use it (TLS, CA verified).
    await adminClient(PRIMARY, adminPassword);
  });

  it("runs every script a second time without changing, restarting or resetting anything", async () => {
    const started = await Promise.all(NAMES.map(startedAt));
    const relayLogs = await Promise.all(REPLICAS.map(async (r) => (await slaveStatus(r)).Relay_Log_File));
    const start = Date.now();
    await deploy(() => stack(), waitFor);
    console.log(`    second deployment in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    // 3 nodes: baseline, firewall confirm, mesh key, mesh config, install, database firewall,
    // config, accounts/replication (8 x 3); the primary's promote and each replica's demote (3).
    assert.strictEqual(engine.runs.length, 27);
    for (const run of engine.runs) {
      assert.match(run.stdout + run.stderr, /changed: none/, `${run.name} on ${run.host} changed something`);
    }
    assert.deepStrictEqual(await Promise.all(NAMES.map(startedAt)), started);
    // A CHANGE MASTER would have started new relay logs.
    assert.deepStrictEqual(
      await Promise.all(REPLICAS.map(async (r) => (await slaveStatus(r)).Relay_Log_File)),
      relayLogs,
    );
  });

  it("replicates rows written on the primary to every replica, over TLS", async () => {
    const write = await asAdmin(
      PRIMARY,
      "CREATE DATABASE fortress_lab; CREATE TABLE fortress_lab.items (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40));" +
        "INSERT INTO fortress_lab.items (note) VALUES ('one'), ('two'), ('three'); SHOW STATUS LIKE 'Ssl_version';",
    );
    assert.strictEqual(write.code, 0, write.stderr);
    assert.match(write.stdout, /Ssl_version\tTLSv1\.[23]/);
    for (const r of REPLICAS) {
      const took = await until(`rows on ${r}`, async () => (await count(r).catch(() => "")) === "3", 30);
      console.log(`    3 rows on ${r} after ${took.toFixed(1)} s`);
    }
  });

  it("keeps the replicas read-only, for the admin account too", async () => {
    for (const r of REPLICAS) {
      const refused = await asAdmin(r, "INSERT INTO fortress_lab.items (note) VALUES ('on a replica')");
      assert.notStrictEqual(refused.code, 0);
      assert.match(refused.stderr, /ERROR 1290 .*--read-only/);
      // Reading works.
      const read = await asAdmin(r, "SELECT COUNT(*) FROM fortress_lab.items");
      assert.strictEqual(read.stdout.trim(), "3");
    }
  });

  it("loses nothing when a replica's link is cut during 1,000 writes, and catches up by itself", async () => {
    const charlie = host("charlie");
    await charlie.cut();
    const cutAt = Date.now();
    let restored = false;
    try {
      const writeStart = Date.now();
      await host(PRIMARY).exec("mariadb", {
        stdin: Array.from(
          { length: 1000 },
          (_, i) => `INSERT INTO fortress_lab.items (note) VALUES ('cut-${i + 1}');\n`,
        ).join(""),
      });
      const writeSeconds = (Date.now() - writeStart) / 1000;
      const total = await count(PRIMARY);
      assert.strictEqual(total, "1003");
      // bravo keeps up meanwhile.
      await until("bravo keeps up", async () => (await count("bravo")) === total, 30);
      // Long enough for charlie to notice (no heartbeat for replica_net_timeout) and start redialling.
      await new Promise((r) => setTimeout(r, 8000));
      await charlie.restore();
      restored = true;
      const cutSeconds = (Date.now() - cutAt) / 1000;
      const primaryGtid = await sql(PRIMARY, "SELECT @@gtid_binlog_pos");
      const caughtUp = await until(
        "charlie catches up",
        async () => (await sql("charlie", "SELECT @@gtid_current_pos").catch(() => "")) === primaryGtid,
        60,
      );
      console.log(
        `    1,000 writes in ${writeSeconds.toFixed(1)} s during a ${cutSeconds.toFixed(1)} s cut; ` +
          `charlie caught up ${caughtUp.toFixed(1)} s after the link came back`,
      );
      assert.strictEqual(await count("charlie"), total);
      assert.strictEqual(await sql("charlie", "SELECT @@gtid_binlog_pos"), primaryGtid);
      assert.strictEqual(
        await sql("charlie", "SELECT COUNT(DISTINCT note) FROM fortress_lab.items WHERE note LIKE 'cut-%'"),
        "1000",
      );
      const s = await slaveStatus("charlie");
      assert.strictEqual(s.Slave_IO_Running, "Yes");
      assert.strictEqual(s.Slave_SQL_Running, "Yes");
      assert.strictEqual(s.Last_SQL_Errno, "0");
      // It did lose the primary, and came back by itself.
      assert.match((await charlie.exec("journalctl -u mariadb -n 40 --no-pager")).stdout, /reconnect/i);
    } finally {
      if (!restored) await charlie.restore();
    }
  });

  it("brings a rebooted replica back on its mesh address, replicating", async () => {
    await host("charlie").reboot();
    await until(
      "charlie's server is back",
      async () =>
        (await host("charlie").exec("systemctl is-active mariadb", { check: false })).stdout.trim() ===
        "active",
    );
    const listening = (await host("charlie").exec("ss -Htln sport = :3306")).stdout.trim();
    assert.deepStrictEqual(
      listening.split("\n").map((l) => l.split(/\s+/)[3]),
      [`${addresses.charlie}:3306`],
    );
    await sql(PRIMARY, "INSERT INTO fortress_lab.items (note) VALUES ('after reboot')");
    const total = await count(PRIMARY);
    const took = await until(
      "charlie replicates after its reboot",
      async () => (await count("charlie")) === total,
    );
    console.log(`    charlie has the row written after its reboot ${took.toFixed(1)} s after it`);
  });

  it("resumes replication by itself after the primary's server restarts", async () => {
    await host(PRIMARY).exec("systemctl restart mariadb");
    const restartedAt = Date.now();
    await sql(PRIMARY, "INSERT INTO fortress_lab.items (note) VALUES ('after restart')");
    const total = await count(PRIMARY);
    for (const r of REPLICAS) {
      await until(`${r} resumes`, async () => (await count(r)) === total, 60);
      console.log(
        `    ${r} has the row written after the restart ${((Date.now() - restartedAt) / 1000).toFixed(1)} s after it`,
      );
      const s = await slaveStatus(r);
      assert.strictEqual(s.Slave_IO_Running, "Yes");
      assert.strictEqual(s.Gtid_IO_Pos, await sql(PRIMARY, "SELECT @@gtid_binlog_pos"));
    }
  });

  it("puts the previous configuration back when the server cannot start with a new one", async () => {
    const before = await host(PRIMARY).exec("cat /etc/mysql/mariadb.conf.d/60-fortress.cnf");
    // Port 22 is sshd's: MariaDB cannot bind it. Only the primary's steps run.
    engine.skip = (name) => name.startsWith("db-") && !name.startsWith(`db-${PRIMARY}-`);
    await assert.rejects(
      deploy(() => stack(22), waitFor),
      /db-alfa-config failed on alfa[\s\S]*did not start with the new configuration; the previous one is back/,
    );
    assert.strictEqual((await host(PRIMARY).exec("systemctl is-active mariadb")).stdout.trim(), "active");
    assert.strictEqual(
      (await host(PRIMARY).exec("cat /etc/mysql/mariadb.conf.d/60-fortress.cnf")).stdout,
      before.stdout,
    );
    assert.strictEqual(await sql(PRIMARY, "SELECT @@port"), "3306");
    // And the next run with the old setting finds everything as it was.
    engine.skip = undefined;
    engine.reset();
    await deploy(() => stack(), waitFor);
    assert.strictEqual(engine.runs.length, 27);
    for (const run of engine.runs) {
      // The failed run stopped before the primary's firewall step: port 22 was never opened.
      assert.match(run.stdout + run.stderr, /changed: none/, `${run.name} on ${run.host} changed something`);
    }
    await until(
      "replication after the failed change",
      async () => (await count("charlie")) === (await count(PRIMARY)),
    );
  });

  it("destroy stops replication and removes the configuration, and keeps every row", async () => {
    const total = await count(PRIMARY);
    await deploy(() => stack(), waitFor);
    const ran = await engine.destroy();
    for (const name of NAMES) {
      const teardown = ran.find((r) => r.name === `db-${name}-config`);
      assert.ok(teardown, `no teardown on ${name}`);
      assert.match(
        teardown.stdout,
        name === PRIMARY
          ? /changed: removed:.* restarted/
          : /changed: replication-stopped removed:.* restarted/,
      );
      const h = host(name);
      assert.strictEqual((await h.exec("systemctl is-active mariadb")).stdout.trim(), "active");
      assert.strictEqual(await count(name), total, `${name} lost rows`);
      assert.strictEqual(
        (await h.exec("ls /etc/mysql/mariadb.conf.d/60-fortress.cnf /etc/mysql/fortress", { check: false }))
          .code,
        2,
      );
      assert.strictEqual(await sql(name, "SHOW SLAVE STATUS"), "");
      // Binary logs stay.
      assert.match((await h.exec("ls /var/log/mysql")).stdout, /mysql-bin\.000001/);
    }
  });
});
