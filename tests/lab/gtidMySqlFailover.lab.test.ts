// GtidMySql failover on real hosts (MariaDB over the mesh): the primary's host is killed while a
// client writes, the configuration fails over to a replica, the old host comes back fenced
// (read-only, nobody follows it) and rejoins as a replica once `failover` is removed; one that
// took writes of its own is refused. The scripts the component renders, run over real SSH by the
// lab engine, then counted on the hosts. MySQL 8.4 and 8.0 cannot be installed on the offline lab;
// their statements are covered by the unit tests and shellcheck.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { deploy, engine } from "./engine";
import { ADMIN_OPTIONS, mysqlClient, until } from "./mysqlClient";
import { labSuite } from "./suite";

const DB = ["alfa", "bravo", "charlie"];
const CLIENT = "delta";
const CLIENT_ADDRESS = "10.100.0.253";
const NAMES = [...DB, CLIENT];

describe("GtidMySql failover on the lab (MariaDB over the mesh)", function () {
  const { host, kvmNode } = labSuite(NAMES, { realProviders: true });
  const client = mysqlClient(host);
  const { sql, slaveStatus, adminClient, assertAllThere } = client;

  /** The program: `primary` takes the writes, the others replicate; `from` names a primary that is gone. */
  function stack(primary: string, from?: string) {
    const nodes = NAMES.map((n) => kvmNode(n));
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      addresses: { charlie: "10.100.0.254", delta: CLIENT_ADDRESS },
    });
    const hostOf = (n: string) => nodes[NAMES.indexOf(n)].host();
    const db = new GtidMySql(
      "db",
      {
        primary: hostOf(primary),
        replicas: DB.filter((n) => n !== primary).map(hostOf),
        addresses: mesh.addresses,
        meshReady: NAMES.map((n) => mesh.appliedOn(n)),
        flavour: MySqlFlavour.MariaDb,
        adminHosts: [CLIENT_ADDRESS],
        ...(from ? { failover: { from } } : {}),
      },
      // The lab engine sees which steps ignore their inputs (the gone primary's), as Pulumi does.
      { transformations: [engine.observe] },
    );
    return { nodes, mesh, db };
  }
  const waitFor = (built: ReturnType<typeof stack>) => [
    built.db.primaryEndpoint,
    ...DB.map((n) => built.db.readyOn(n).stdout),
  ];
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
  // Pulumi runs no command whose inputs did not change: alfa's node and mesh steps, while it is gone.
  const alfaGone = (name: string) => name.startsWith("alfa-") || name.startsWith("mesh-alfa-");

  let addresses: Record<string, string> = {};
  const count = (name: string, tag = "") =>
    sql(name, `SELECT COUNT(*) FROM fortress_lab.items WHERE note LIKE '${tag}%'`);
  const seconds = (ms: number) => (ms / 1000).toFixed(1);
  /** A write as the admin account from the client host; its error, or "" when it was acknowledged. */
  const tryWrite = async (name: string, note: string) => {
    const r = await host(CLIENT).exec(
      `mariadb --defaults-extra-file=${ADMIN_OPTIONS} -h ${addresses[name]} --connect-timeout=5 ` +
        `-e "INSERT INTO fortress_lab.items (note) VALUES ('${note}')"`,
      { check: false },
    );
    return r.code === 0 ? "" : r.stderr.trim() || `exit ${r.code}`;
  };
  /** Seconds until the client host reaches alfa over the mesh again (its WireGuard handshakes anew). */
  const meshBack = () =>
    until(
      "delta reaches alfa over the mesh",
      async () => (await host(CLIENT).exec(`ping -c1 -W1 ${addresses.alfa}`, { check: false })).code === 0,
      120,
    );
  /** alfa's own GTIDs (domain-server-seq of its server id) in its binary log state. */
  const ownGtids = async (name: string) => {
    const id = await sql(name, "SELECT @@server_id");
    return (await sql(name, "SELECT @@gtid_binlog_state"))
      .split(",")
      .filter((g) => g.split("-")[1] === id)
      .join(",");
  };

  /** The client host's writer: for at most 240 s; a write in flight is given up after 5 s. */
  const WRITER = { seconds: 240, giveUpAfter: 5 };

  it("deploys the database with alfa as the primary, and a table with 1,000 rows", async () => {
    const built = await deploy(() => stack("alfa"), waitFor);
    addresses = await value(built.mesh.addresses);
    await adminClient(CLIENT, await value(built.db.adminPassword), await value(built.db.caCertificate));
    await client.createItems("alfa", 1000);
    for (const r of ["bravo", "charlie"])
      await until(
        `${r} has the 1,000 rows`,
        async () => (await count(r, "base-").catch(() => "")) === "1000",
      );
    // The guard is on every server; the primary runs it after each start, nobody else needs it.
    for (const n of DB)
      assert.strictEqual(
        (await host(n).exec("systemctl is-enabled fortress-mysql-guard")).stdout.trim(),
        "enabled",
      );
  });

  let fenceGtids = "";
  let acked: number[] = [];
  it("failover: the primary's host is killed during writes, bravo takes over; every acknowledged write is on bravo, GTIDs agree", async () => {
    await client.startWriter(CLIENT, "fo", [addresses.alfa, addresses.bravo], WRITER);
    await until("the writer writes", async () => Number(await count("alfa", "fo-")) > 150, 120);
    const killed = Date.now();
    await host("alfa").kill();
    engine.skip = alfaGone;
    await deploy(() => stack("bravo", "alfa"), waitFor);
    const failedOver = Date.now();
    await until("writes reach bravo", async () => Number(await count("bravo", "fo-")) > 0, 30);
    await new Promise((r) => setTimeout(r, 3000));
    const w = await client.stopWriter(CLIENT, "fo");
    acked = w.acked;

    // Nothing ran on alfa: its database steps were frozen, its node and mesh steps unchanged.
    assert.deepStrictEqual(
      engine.runs.filter((r) => r.host === "alfa").map((r) => r.name),
      [],
    );
    assert.match(engine.ran("db-bravo-promote")[0].stdout, /changed: failed-over/);
    assert.match(engine.ran("db-charlie-replication")[0].stdout, /changed: replication-source/);
    assert.strictEqual(await sql("bravo", "SELECT @@read_only"), "0");
    assert.strictEqual(await sql("bravo", "SHOW SLAVE STATUS"), "");
    const s = await slaveStatus("charlie");
    assert.strictEqual(s.Master_Host, addresses.bravo);
    assert.strictEqual(s.Slave_IO_Running, "Yes");
    assert.strictEqual(s.Slave_SQL_Running, "Yes");
    const bravoGtid = await sql("bravo", "SELECT @@gtid_binlog_pos");
    await until(
      "charlie has every GTID of bravo",
      async () => (await sql("charlie", "SELECT @@gtid_current_pos")) === bravoGtid,
    );
    assert.strictEqual(
      await sql("charlie", "SELECT @@gtid_binlog_state"),
      await sql("bravo", "SELECT @@gtid_binlog_state"),
    );
    const found = await assertAllThere("bravo", "fo", acked);
    assert.strictEqual(await assertAllThere("charlie", "fo", acked), found);
    // The longest time without an acknowledged write: the outage the client saw.
    const outage = Math.max(...w.at.slice(1).map((t, i) => t - w.at[i]));
    assert.ok(acked.length > 150 && w.at.some((t) => t > failedOver), "writes went on after the failover");
    console.log(
      `    failover alfa (killed) -> bravo: rows written ${w.written}, acknowledged ${acked.length}, found on bravo ${found} ` +
        `(and charlie), lost 0; kill to failover done ${seconds(failedOver - killed)} s, no write acknowledged for ` +
        `${seconds(outage)} s; refused attempts ${w.failures}; GTID ${bravoGtid} on bravo and charlie`,
    );
  });

  it("runs the failover deployment a second time, alfa still gone, without changing anything", async () => {
    engine.skip = alfaGone;
    await deploy(() => stack("bravo", "alfa"), waitFor);
    assert.deepStrictEqual(
      engine.runs.filter((r) => r.host === "alfa").map((r) => r.name),
      [],
    );
    for (const run of engine.runs)
      assert.match(
        run.stdout + run.stderr,
        /changed: none/,
        `${run.name} on ${run.host} changed something: ${run.stdout}${run.stderr}`,
      );
  });

  it("fence: the old primary boots again read-only and stays so, across a reboot; it accepts no write", async () => {
    const start = Date.now();
    await host("alfa").start();
    await until(
      "mariadb runs on alfa",
      async () =>
        (await host("alfa").exec("systemctl is-active mariadb", { check: false })).stdout.trim() === "active",
      120,
    );
    const up = Date.now();
    fenceGtids = await ownGtids("alfa");
    assert.notStrictEqual(fenceGtids, "");
    const mesh = await meshBack();
    await new Promise((r) => setTimeout(r, 8000)); // far longer than replicas take to reconnect
    assert.strictEqual(await sql("alfa", "SELECT @@read_only"), "1");
    assert.match(await tryWrite("alfa", "split-brain-1"), /read-only|READ.ONLY/i);
    const journal = (await host("alfa").exec("journalctl -u fortress-mysql-guard --no-pager")).stdout;
    assert.match(journal, /read-only: none of its 2 replicas follows it/);
    await host("alfa").reboot();
    await until(
      "mariadb runs on alfa again",
      async () =>
        (await host("alfa").exec("systemctl is-active mariadb", { check: false })).stdout.trim() === "active",
      120,
    );
    await meshBack();
    await new Promise((r) => setTimeout(r, 8000));
    assert.strictEqual(await sql("alfa", "SELECT @@read_only"), "1");
    assert.match(await tryWrite("alfa", "split-brain-2"), /read-only|READ.ONLY/i);
    assert.strictEqual(await ownGtids("alfa"), fenceGtids, "alfa wrote something after it came back");
    console.log(
      `    fence: alfa back after ${seconds(up - start)} s (the mesh from delta ${mesh.toFixed(1)} s later) read-only, refused writes before and after a reboot; ` +
        `its own GTIDs stayed ${fenceGtids}`,
    );
  });

  it("rejoin: once failover is removed, the next deployment makes alfa a replica of bravo with every row", async () => {
    const start = Date.now();
    await deploy(() => stack("bravo"), waitFor);
    assert.match(engine.ran("db-alfa-replication")[0].stdout, /changed: replication-source/);
    const s = await slaveStatus("alfa");
    assert.strictEqual(s.Master_Host, addresses.bravo);
    assert.strictEqual(s.Using_Gtid, "Slave_Pos");
    const bravoGtid = await sql("bravo", "SELECT @@gtid_binlog_pos");
    await until(
      "alfa catches up with bravo",
      async () => (await sql("alfa", "SELECT @@gtid_current_pos")) === bravoGtid,
    );
    const found = await assertAllThere("alfa", "fo", acked);
    assert.strictEqual(await count("alfa", "split-brain"), "0");
    assert.strictEqual(await count("alfa"), await count("bravo"));
    assert.strictEqual(await sql("alfa", "SELECT @@read_only"), "1");
    assert.match(await tryWrite("alfa", "split-brain-3"), /read-only|READ.ONLY/i);
    assert.strictEqual(await ownGtids("alfa"), fenceGtids, "alfa took a write of its own after the fence");
    console.log(
      `    rejoin: alfa follows bravo after a deployment of ${seconds(Date.now() - start)} s, ${found} rows of the writer there`,
    );
  });

  it("a reboot of the primary: it comes back read-only and takes writes again once a replica follows it", async () => {
    await host("bravo").reboot();
    await until(
      "mariadb runs on bravo",
      async () =>
        (await host("bravo").exec("systemctl is-active mariadb", { check: false })).stdout.trim() ===
        "active",
      120,
    );
    const writable = await until(
      "bravo takes writes",
      async () => (await sql("bravo", "SELECT @@read_only")) === "0",
      120,
    );
    const journal = (await host("bravo").exec("journalctl -b -u fortress-mysql-guard --no-pager")).stdout;
    assert.match(journal, /takes writes: [12] of its 2 replicas follow it/);
    await until(
      "the client writes to bravo",
      async () => (await tryWrite("bravo", "after-reboot")) === "",
      60,
    );
    for (const r of ["alfa", "charlie"])
      await until(
        `${r} has the row written after the reboot`,
        async () => (await count(r, "after-reboot")) === "1",
      );
    console.log(
      `    primary reboot: bravo read-only until a replica followed it, writable ${writable.toFixed(1)} s after its server started`,
    );
  });

  it("runs every script of the rejoined database a second time without changing anything", async () => {
    await deploy(() => stack("bravo"), waitFor);
    for (const run of engine.runs)
      assert.match(
        run.stdout + run.stderr,
        /changed: none/,
        `${run.name} on ${run.host} changed something: ${run.stdout}${run.stderr}`,
      );
  });

  it("refuses to rejoin a server that has transactions the primary lacks, and says what to do", async () => {
    // alfa as an old primary that wrote after it lost its replicas: off replication, one write of its own.
    await sql(
      "alfa",
      "STOP SLAVE; RESET SLAVE ALL; INSERT INTO fortress_lab.items (note) VALUES ('errant-1')",
    );
    const errant = await ownGtids("alfa");
    assert.notStrictEqual(errant, fenceGtids);
    await assert.rejects(
      deploy(() => stack("bravo"), waitFor),
      /db-alfa-replication failed on alfa[\s\S]*has transactions its new source 10\.100\.0\.\d+ lacks \(0-\d+-\d+\)[\s\S]*seed this node again from a backup/,
    );
    assert.strictEqual(await sql("alfa", "SHOW SLAVE STATUS"), "");
    assert.strictEqual(await sql("alfa", "SELECT @@read_only"), "1");
    assert.strictEqual(await count("bravo", "errant-"), "0");
    console.log(
      `    errant: alfa with ${errant} (bravo lacks its last) refused, left read-only and out of replication`,
    );
  });
});
