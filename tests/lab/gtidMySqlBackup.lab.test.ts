// GtidMySql backups on real hosts (MariaDB over the mesh): the backup node's timer and job, what
// the backups hold (ciphertext only), retention, and a restore onto a fresh host that then joins
// as a replica from the backup's GTID position, after the primary purged the binary logs before it.
// Every row is checked. MySQL's dump and restore cannot run on the offline lab (unit tests and
// shellcheck cover them).
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { renderRestoreScript } from "../../components/gtidMySql/scripts";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { deploy, engine } from "./engine";
import { mysqlClient, until } from "./mysqlClient";
import { labSuite } from "./suite";

const NAMES = ["alfa", "bravo", "charlie", "delta"];
const BACKUPS = "/var/backups/fortress-mysql/db";

describe("GtidMySql backups on the lab (MariaDB over the mesh)", function () {
  const { host, kvmNode } = labSuite(NAMES, { realProviders: true });
  const { sql } = mysqlClient(host);

  /** alfa primary, `replicas`, backups to charlie; every node on the mesh. */
  function stack(replicas: string[]) {
    const nodes = NAMES.map((n) => kvmNode(n));
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      addresses: { charlie: "10.100.0.254" },
    });
    const hostOf = (n: string) => nodes[NAMES.indexOf(n)].host();
    const db = new GtidMySql("db", {
      primary: hostOf("alfa"),
      replicas: replicas.map(hostOf),
      addresses: mesh.addresses,
      meshReady: NAMES.map((n) => mesh.appliedOn(n)),
      flavour: MySqlFlavour.MariaDb,
      backup: { node: hostOf("charlie"), keep: 3 },
    });
    return { nodes, mesh, db, replicas };
  }
  const waitFor = (built: ReturnType<typeof stack>) => [
    built.db.primaryEndpoint,
    ...["alfa", ...built.replicas].map((n) => built.db.readyOn(n).stdout),
  ];
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
  const count = (name: string) => sql(name, "SELECT COUNT(*) FROM fortress_lab.items");
  const checksum = (name: string) => sql(name, "CHECKSUM TABLE fortress_lab.items");
  const insert = (from: number, to: number) =>
    Array.from(
      { length: to - from + 1 },
      (_, i) => `INSERT INTO fortress_lab.items (note) VALUES ('row-${from + i}-${"x".repeat(60)}');\n`,
    ).join("");
  /** Runs the backup job now (as its timer would) and returns the new set's name and figures. */
  async function backupNow(): Promise<{ set: string; seconds: number; bytes: number }> {
    const start = Date.now();
    await host("charlie").exec("systemctl start fortress-mysql-backup-db.service");
    const seconds = (Date.now() - start) / 1000;
    const set = (
      await host("charlie").exec(`ls ${BACKUPS} | sed -n 's/\\.sql\\.gz\\.enc$//p' | sort | tail -n 1`)
    ).stdout.trim();
    const info = (await host("charlie").exec(`cat ${BACKUPS}/${set}.info`)).stdout;
    return { set, seconds, bytes: Number(/^bytes=(\d+)$/m.exec(info)?.[1]) };
  }

  let secrets: string[] = [];
  let privateKey = "";

  it("backups: a timer on the backup node, a read-only account, a backup that holds only ciphertext", async () => {
    const built = await deploy(() => stack(["bravo"]), waitFor);
    privateKey = await value(built.db.backupPrivateKey);
    secrets = [await value(built.db.adminPassword), await value(built.db.replicationPassword)];
    assert.match(
      engine.ran("db-alfa-accounts")[0].stdout,
      /changed: admin-account replication-account backup-account/,
    );
    assert.match(
      engine.ran("db-backup")[0].stdout,
      /changed: backup-dir client-config ca public-key job units timer-enabled/,
    );
    const timer = await host("charlie").exec(
      "systemctl show -p ActiveState,TimersCalendar --value fortress-mysql-backup-db.timer",
    );
    assert.match(timer.stdout, /active/);
    assert.match(timer.stdout, /OnCalendar=\*-\*-\* 02:30:00/);
    secrets.push(
      (
        await host("charlie").exec("sed -n 's/^password=//p' /etc/fortress/mysql-backup/db/client.cnf")
      ).stdout.trim(),
    );
    assert.strictEqual(
      (await host("charlie").exec("stat -c '%a' /etc/fortress/mysql-backup/db/client.cnf")).stdout.trim(),
      "600",
    );
    // The account may read, and nothing more.
    assert.strictEqual(
      await sql(
        "alfa",
        "SELECT Select_priv, Insert_priv, Repl_slave_priv, ssl_type FROM mysql.user WHERE User = 'fortress_backup'",
      ),
      "Y\tN\tN\tANY",
    );

    await sql(
      "alfa",
      "CREATE DATABASE fortress_lab; CREATE TABLE fortress_lab.items (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(80));" +
        insert(1, 20000),
    );
    const b = await backupNow();
    console.log(
      `    backup of 20,000 rows (mariadb-dump, gzip, AES-256 sealed with RSA-OAEP): ${b.bytes} bytes in ${b.seconds.toFixed(1)} s`,
    );
    const files = (await host("charlie").exec(`ls -l ${BACKUPS}`)).stdout;
    assert.match(files, new RegExp(`^-rw------- .* ${b.set}\\.sql\\.gz\\.enc$`, "m"));
    assert.match(files, new RegExp(`^-rw------- .* ${b.set}\\.key\\.enc$`, "m"));
    // Ciphertext: no row, and not even gzip, on the backup node.
    const plain = await host("charlie").exec(
      `grep -c row-1- ${BACKUPS}/${b.set}.sql.gz.enc; gunzip -t <${BACKUPS}/${b.set}.sql.gz.enc`,
      { check: false },
    );
    assert.match(plain.stdout, /^0$/m);
    assert.notStrictEqual(plain.code, 0);
  });

  it("keeps the newest 3 backups (retention)", async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 1100)); // the sets are named by the second
      await backupNow();
    }
    const sets = (await host("charlie").exec(`ls ${BACKUPS} | grep -c '\\.sql\\.gz\\.enc$'`)).stdout.trim();
    assert.strictEqual(sets, "3");
    assert.strictEqual(
      (await host("charlie").exec(`ls ${BACKUPS} | grep -c '\\.key\\.enc$'`)).stdout.trim(),
      "3",
    );
  });

  it("restore onto a fresh host: it joins as a replica from the backup's GTID position, every row checked", async () => {
    // A new binary log starts just before the backup; every older one is purged after it, so the
    // primary keeps nothing from before the backup and a replica cannot start from nothing.
    await sql("alfa", "FLUSH BINARY LOGS");
    const firstKept = (await sql("alfa", "SHOW MASTER STATUS")).split("\t")[0];
    const b = await backupNow();
    // Written after the backup: the new replica must get these from the primary's binary log.
    await sql("alfa", insert(20001, 20500));
    await sql("alfa", `PURGE BINARY LOGS TO '${firstKept}'`);
    assert.strictEqual((await sql("alfa", "SHOW BINARY LOGS")).split("\n")[0].split("\t")[0], firstKept);

    // The runbook: copy the set from the backup node to the new host, run the restore there with
    // the backup private key on standard input.
    for (const part of ["sql.gz.enc", "key.enc", "info"]) {
      const data = await host("charlie").exec(`base64 -w0 ${BACKUPS}/${b.set}.${part}`);
      await host("delta").exec(`base64 -d >/root/${b.set}.${part}`, { stdin: data.stdout });
    }
    const start = Date.now();
    await host("delta").exec("cat >/root/fortress-mysql-restore.sh", {
      stdin: renderRestoreScript(MySqlFlavour.MariaDb),
    });
    const restore = await host("delta").exec(`bash /root/fortress-mysql-restore.sh /root/${b.set}`, {
      stdin: privateKey,
      check: false,
    });
    assert.strictEqual(restore.code, 0, restore.stderr);
    const restoreSeconds = (Date.now() - start) / 1000;
    assert.match(restore.stdout, /changed: .*restored/);
    const position = /at GTID (\S+);/.exec(restore.stderr)?.[1];
    assert.ok(position, restore.stderr);
    assert.strictEqual(await count("delta"), "20000");

    const joinStart = Date.now();
    await deploy(() => stack(["bravo", "delta"]), waitFor);
    const total = await count("alfa");
    const caughtUp = await until(
      "delta catches up",
      async () => (await count("delta").catch(() => "")) === total,
    );
    assert.strictEqual(total, "20500");
    assert.strictEqual(await checksum("delta"), await checksum("alfa"));
    // Row by row: every note on the primary is on the restored replica.
    const digest =
      "SELECT SHA2(GROUP_CONCAT(id, ':', note ORDER BY id SEPARATOR ','), 256) FROM fortress_lab.items";
    await sql("alfa", "SET GLOBAL group_concat_max_len = 1 << 30");
    await sql("delta", "SET GLOBAL group_concat_max_len = 1 << 30");
    assert.strictEqual(await sql("delta", digest), await sql("alfa", digest));
    assert.strictEqual(
      await sql("delta", "SELECT @@gtid_current_pos"),
      await sql("alfa", "SELECT @@gtid_binlog_pos"),
    );
    console.log(
      `    restore of ${b.set} (${b.bytes} bytes) on delta: ${restoreSeconds.toFixed(1)} s to GTID ${position}; ` +
        `joined and caught up in ${((Date.now() - joinStart) / 1000).toFixed(1)} s (${caughtUp.toFixed(1)} s after the deployment); ` +
        `rows written 20,500, rows found on delta ${await count("delta")}, checksums and row digests equal`,
    );
  });

  it("runs every script a second time without changing anything (the backup node too)", async () => {
    await deploy(() => stack(["bravo", "delta"]), waitFor);
    for (const run of engine.runs)
      assert.match(run.stdout + run.stderr, /changed: none/, `${run.name} on ${run.host} changed something`);
  });

  it("takes back privileges granted to the backup account by hand (drift), and only then changes something", async () => {
    const backupHost = (
      await sql("alfa", "SELECT Host FROM mysql.user WHERE User = 'fortress_backup'")
    ).trim();
    const account = `'fortress_backup'@'${backupHost}'`;
    const ours = await sql("alfa", `SHOW GRANTS FOR ${account}`);
    await sql("alfa", `GRANT INSERT, DELETE ON *.* TO ${account}; GRANT ALL ON fortress_lab.* TO ${account}`);
    assert.notStrictEqual(await sql("alfa", `SHOW GRANTS FOR ${account}`), ours);
    await deploy(() => stack(["bravo", "delta"]), waitFor);
    assert.match(engine.ran("db-alfa-accounts")[0].stdout, /changed: backup-account$/m);
    assert.match(engine.ran("db-alfa-accounts")[0].stderr, /has privileges this step did not give it/);
    assert.strictEqual(await sql("alfa", `SHOW GRANTS FOR ${account}`), ours);
    // The replicas have the same account, by replication.
    await until(
      "bravo has the backup account as it was",
      async () => (await sql("bravo", `SHOW GRANTS FOR ${account}`)) === ours,
    );
    await deploy(() => stack(["bravo", "delta"]), waitFor);
    const again = engine.ran("db-alfa-accounts").at(-1)!;
    assert.match(again.stdout, /changed: none/, again.stderr);
    console.log(
      `    privilege drift: INSERT, DELETE and ALL on fortress_lab granted by hand, taken back by the next deployment`,
    );
  });

  it("leaves no password and no backup key in a file, a log or the journal of any host", async () => {
    await host("delta").exec(`rm -f /root/*.sql.gz.enc /root/*.key.enc /root/*.info`);
    const keyLine = privateKey.split("\n")[1];
    for (const name of NAMES) {
      for (const secret of [...secrets, keyLine]) {
        const found = await host(name).exec(
          'secret=$(cat); { grep -rlF -D skip -- "$secret" /etc /var/log /var/lib/fortress /var/backups /tmp /run /root || true; ' +
            'journalctl --no-pager | grep -cF -- "$secret" || true; } | grep -v "^0$" || true',
          { stdin: secret, check: false },
        );
        const allowed =
          name === "charlie" && secret === secrets[2] ? "/etc/fortress/mysql-backup/db/client.cnf" : "";
        assert.strictEqual(found.stdout.trim(), allowed, `${name} has a secret in ${found.stdout}`);
      }
    }
  });
});
