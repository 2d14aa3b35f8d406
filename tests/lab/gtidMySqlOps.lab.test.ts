// GtidMySql day two on real hosts (MariaDB over the mesh): a planned switchover while a client
// writes, and back. The scripts the component renders, run over real SSH by the lab engine, then
// counted on the hosts. MySQL 8.4 and 8.0 cannot be installed on the offline lab; their
// statements are covered by the unit tests and shellcheck.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { deploy, engine } from "./engine";
import { mysqlClient, until } from "./mysqlClient";
import { labSuite } from "./suite";

/** Three database nodes and a client host on the mesh. */
const DB = ["alfa", "bravo", "charlie"];
const CLIENT = "delta";
const CLIENT_ADDRESS = "10.100.0.253";
const NAMES = [...DB, CLIENT];

describe("GtidMySql day two on the lab (MariaDB over the mesh)", function () {
  const { host, kvmNode } = labSuite(NAMES, { realProviders: true });
  const client = mysqlClient(host);
  const { sql, slaveStatus, adminClient, assertAllThere } = client;

  /** The program: four nodes, a mesh, and the database on three of them with `primary` first. */
  function stack(primary: string) {
    const nodes = NAMES.map((n) => kvmNode(n));
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      // delta's address is pinned: the database lets the client in by address (adminHosts).
      addresses: { charlie: "10.100.0.254", delta: CLIENT_ADDRESS },
    });
    const hostOf = (n: string) => nodes[NAMES.indexOf(n)].host();
    const db = new GtidMySql("db", {
      primary: hostOf(primary),
      replicas: DB.filter((n) => n !== primary).map(hostOf),
      addresses: mesh.addresses,
      meshReady: NAMES.map((n) => mesh.appliedOn(n)),
      flavour: MySqlFlavour.MariaDb,
      // The client host is no member: the zoned mesh lets its admin logins in only from here.
      adminHosts: [CLIENT_ADDRESS],
    });
    return { nodes, mesh, db };
  }
  const waitFor = (built: ReturnType<typeof stack>) => [
    built.db.primaryEndpoint,
    ...DB.map((n) => built.db.readyOn(n).stdout),
  ];
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

  let addresses: Record<string, string> = {};
  const secrets: string[] = [];
  const count = (name: string) => sql(name, "SELECT COUNT(*) FROM fortress_lab.items");
  const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

  /** The client host's writer: for at most 150 s and 20,000 rows. */
  const WRITER = { seconds: 150, max: 20000 };
  const gtidOf = (name: string) => sql(name, "SELECT @@gtid_binlog_pos");

  it("deploys the database with alfa as the primary, and a table with 1,000 rows", async () => {
    const start = Date.now();
    const built = await deploy(() => stack("alfa"), waitFor);
    console.log(`    first deployment (4 nodes, mesh, 3 database nodes) in ${seconds(start)} s`);
    addresses = await value(built.mesh.addresses);
    secrets.push(await value(built.db.adminPassword), await value(built.db.replicationPassword));
    // A new primary has nothing to take over from.
    assert.match(engine.ran("db-alfa-promote")[0].stdout, /changed: none/);
    await adminClient(CLIENT, secrets[0], await value(built.db.caCertificate));
    await client.createItems("alfa", 1000);
    for (const r of ["bravo", "charlie"])
      await until(`${r} has the 1,000 rows`, async () => (await count(r).catch(() => "")) === "1000");
  });

  it("switchover to bravo while a client writes: nothing acknowledged is lost, everyone follows bravo", async () => {
    await client.startWriter(CLIENT, "sw1", [addresses.alfa, addresses.bravo], WRITER);
    await until("the writer writes", async () => Number(await count("alfa")) > 1100, 30);
    const start = Date.now();
    await deploy(() => stack("bravo"), waitFor);
    const switchSeconds = seconds(start);
    await new Promise((r) => setTimeout(r, 2000)); // writes on the new primary after the switch
    const { acked, failures } = await client.stopWriter(CLIENT, "sw1");

    assert.match(engine.ran("db-alfa-demote")[0].stderr, /changed: read-only/);
    assert.match(engine.ran("db-charlie-demote")[0].stderr, /changed: none/);
    assert.match(engine.ran("db-bravo-promote")[0].stdout, /changed: promoted/);
    // Every server's option file says read-only already: the roles change, no server restarts.
    assert.match(engine.ran("db-alfa-config")[0].stdout, /changed: role$/m);
    assert.match(engine.ran("db-bravo-config")[0].stdout, /changed: role$/m);
    assert.match(engine.ran("db-alfa-replication")[0].stdout, /changed: replication-source/);
    assert.match(engine.ran("db-charlie-replication")[0].stdout, /changed: replication-source/);

    assert.strictEqual(await sql("bravo", "SELECT @@read_only"), "0");
    assert.strictEqual(await sql("bravo", "SHOW SLAVE STATUS"), "");
    for (const r of ["alfa", "charlie"]) {
      assert.strictEqual(await sql(r, "SELECT @@read_only"), "1", `${r} is not read-only`);
      const s = await slaveStatus(r);
      assert.strictEqual(s.Master_Host, addresses.bravo, `${r} does not follow bravo`);
      assert.strictEqual(s.Slave_IO_Running, "Yes");
      assert.strictEqual(s.Slave_SQL_Running, "Yes");
      assert.strictEqual(s.Using_Gtid, "Slave_Pos");
    }
    const primaryGtid = await gtidOf("bravo");
    for (const r of ["alfa", "charlie"])
      await until(
        `${r} catches up with bravo`,
        async () => (await sql(r, "SELECT @@gtid_current_pos")) === primaryGtid,
      );
    const found = await assertAllThere("bravo", "sw1", acked);
    for (const r of ["alfa", "charlie"]) {
      assert.strictEqual(await assertAllThere(r, "sw1", acked), found);
      assert.strictEqual(await count(r), await count("bravo"));
    }
    assert.ok(acked.length > 100, `only ${acked.length} writes were acknowledged`);
    // Some after the switch went to bravo itself.
    assert.ok(
      Number(await sql("bravo", "SELECT COUNT(*) FROM fortress_lab.items WHERE note LIKE 'sw1-%'")) >=
        acked.length,
    );
    console.log(
      `    switchover alfa -> bravo: deployment ${switchSeconds} s; rows written (acknowledged) ${acked.length}, ` +
        `rows found on bravo ${found} (and on alfa, charlie), lost 0, refused attempts during the switch ${failures}; ` +
        `GTID ${primaryGtid} everywhere`,
    );
  });

  it("runs every script of the switched database a second time without changing anything", async () => {
    await deploy(() => stack("bravo"), waitFor);
    for (const run of engine.runs) {
      assert.match(run.stdout + run.stderr, /changed: none/, `${run.name} on ${run.host} changed something`);
    }
  });

  it("switchover back to alfa while a client writes: nothing acknowledged is lost", async () => {
    await client.startWriter(CLIENT, "sw2", [addresses.bravo, addresses.alfa], WRITER);
    await until(
      "the writer writes",
      async () =>
        Number(await sql("bravo", "SELECT COUNT(*) FROM fortress_lab.items WHERE note LIKE 'sw2-%'")) > 100,
      30,
    );
    const start = Date.now();
    await deploy(() => stack("alfa"), waitFor);
    const switchSeconds = seconds(start);
    await new Promise((r) => setTimeout(r, 2000));
    const { acked, failures } = await client.stopWriter(CLIENT, "sw2");
    assert.match(engine.ran("db-bravo-demote")[0].stderr, /changed: read-only/);
    assert.match(engine.ran("db-alfa-promote")[0].stdout, /changed: promoted/);
    const primaryGtid = await gtidOf("alfa");
    for (const r of ["bravo", "charlie"]) {
      await until(
        `${r} catches up with alfa`,
        async () => (await sql(r, "SELECT @@gtid_current_pos")) === primaryGtid,
      );
      assert.strictEqual((await slaveStatus(r)).Master_Host, addresses.alfa);
    }
    const found = await assertAllThere("alfa", "sw2", acked);
    for (const r of ["bravo", "charlie"]) assert.strictEqual(await assertAllThere(r, "sw2", acked), found);
    console.log(
      `    switchover bravo -> alfa: deployment ${switchSeconds} s; rows written (acknowledged) ${acked.length}, ` +
        `rows found ${found} on every node, lost 0, refused attempts ${failures}`,
    );
  });

  it("leaves no password in a file, a log or the journal of any host", async () => {
    for (const name of NAMES) {
      for (const secret of secrets) {
        const found = await host(name).exec(
          'secret=$(cat); { grep -rlF -D skip -- "$secret" /etc /var/log /var/lib/fortress /tmp /run || true; ' +
            'journalctl --no-pager | grep -cF -- "$secret" || true; } | grep -v "^0$" || true',
          { stdin: secret, check: false },
        );
        // The client host keeps the admin password in the option file the test itself wrote (under /root).
        assert.strictEqual(found.stdout.trim(), "", `${name} has a password in ${found.stdout}`);
      }
    }
  });
});
