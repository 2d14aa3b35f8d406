// GtidMySql day two on real hosts (MariaDB over the mesh): a planned switchover while a client
// writes, and back. The scripts the component renders, run over real SSH by the lab engine, then
// counted on the hosts. MySQL 8.4 and 8.0 cannot be installed on the offline lab; their
// statements are covered by the unit tests and shellcheck.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { deploy, engine } from "./engine";
import { labSuite } from "./suite";

/** Three database nodes and a client host on the mesh. */
const DB = ["alfa", "bravo", "charlie"];
const CLIENT = "delta";
const CLIENT_ADDRESS = "10.100.0.253";
const NAMES = [...DB, CLIENT];

describe("GtidMySql day two on the lab (MariaDB over the mesh)", function () {
  const { host, kvmNode } = labSuite(NAMES, { realProviders: true });

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
  const sql = async (name: string, statement: string) =>
    (await host(name).exec("mariadb --batch --skip-column-names", { stdin: statement })).stdout.trim();
  const count = (name: string) => sql(name, "SELECT COUNT(*) FROM fortress_lab.items");
  const slaveStatus = async (name: string) => {
    const out = (await host(name).exec("mariadb --batch --vertical", { stdin: "SHOW SLAVE STATUS" })).stdout;
    return Object.fromEntries(
      out
        .split("\n")
        .map((l) => /^\s*(\w+): (.*)$/.exec(l))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
    );
  };
  const until = async (what: string, check: () => Promise<boolean>, seconds = 60): Promise<number> => {
    const start = Date.now();
    while (!(await check())) {
      if (Date.now() - start > seconds * 1000) assert.fail(`${what} did not happen within ${seconds} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return (Date.now() - start) / 1000;
  };
  const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

  /**
   * A client on the client host that writes one row per transaction, numbered, as fast as it can
   * (at most `max` rows, at most `limit` seconds), to whichever of `targets` takes writes: on an
   * error it tries the next one. Each row whose COMMIT was acknowledged is recorded in `acked`.
   */
  async function startWriter(tag: string, targets: string[], max = 20000, limit = 150): Promise<void> {
    const script = `
set -u
rm -f /root/${tag}.acked /root/${tag}.stop /root/${tag}.done
targets=(${targets.map((t) => addresses[t]).join(" ")})
t=0 failures=0 end=$((SECONDS + ${limit}))
for ((i = 1; i <= ${max} && SECONDS < end; i++)); do
  [[ -e /root/${tag}.stop ]] && break
  until mariadb --defaults-extra-file=/root/lab-admin.cnf -h "\${targets[t]}" --connect-timeout=2 \\
    -e "INSERT INTO fortress_lab.items (note) VALUES ('${tag}-$i')" 2>/dev/null; do
    failures=$((failures + 1)); t=$(((t + 1) % \${#targets[@]})); sleep 0.05
    ((SECONDS < end)) || break 2
  done
  echo "$i" >>/root/${tag}.acked
done
echo "$failures" >/root/${tag}.done
`;
    await host(CLIENT).exec(`nohup bash -c "$(cat)" >/dev/null 2>&1 &`, { stdin: script });
  }
  /** Stops the writer and returns the numbers of its acknowledged rows and its failed attempts. */
  async function stopWriter(tag: string): Promise<{ acked: number[]; failures: number }> {
    await host(CLIENT).exec(`touch /root/${tag}.stop`);
    await until(`the ${tag} writer stops`, async () => {
      const r = await host(CLIENT).exec(`test -e /root/${tag}.done`, { check: false });
      return r.code === 0;
    });
    const acked = (await host(CLIENT).exec(`cat /root/${tag}.acked`)).stdout.trim().split("\n").map(Number);
    const failures = Number((await host(CLIENT).exec(`cat /root/${tag}.done`)).stdout.trim());
    return { acked, failures };
  }
  /** Every acknowledged row of the writer is on `name`, once. */
  async function assertAllThere(name: string, tag: string, acked: number[]): Promise<number> {
    const found = (await sql(name, `SELECT note FROM fortress_lab.items WHERE note LIKE '${tag}-%'`))
      .split("\n")
      .filter((l) => l !== "");
    const have = new Set(found);
    const missing = acked.filter((i) => !have.has(`${tag}-${i}`));
    assert.deepStrictEqual(missing, [], `${name} lacks acknowledged rows ${missing.slice(0, 10).join(", ")}`);
    assert.strictEqual(new Set(found).size, found.length, `${name} has a row twice`);
    return found.length;
  }
  const gtidOf = (name: string) => sql(name, "SELECT @@gtid_binlog_pos");

  it("deploys the database with alfa as the primary, and a table with 1,000 rows", async () => {
    const start = Date.now();
    const built = await deploy(() => stack("alfa"), waitFor);
    console.log(`    first deployment (4 nodes, mesh, 3 database nodes) in ${seconds(start)} s`);
    addresses = await value(built.mesh.addresses);
    secrets.push(await value(built.db.adminPassword), await value(built.db.replicationPassword));
    // A new primary has nothing to take over from.
    assert.match(engine.ran("db-alfa-promote")[0].stdout, /changed: none/);
    await host(CLIENT).exec("install -d /etc/mysql/fortress && cat >/etc/mysql/fortress/ca.pem", {
      stdin: await value(built.db.caCertificate),
    });
    await host(CLIENT).exec("install -m 600 /dev/stdin /root/lab-admin.cnf", {
      stdin: `[client]\nuser=fortress_admin\npassword=${secrets[0]}\nssl-ca=/etc/mysql/fortress/ca.pem\nssl-verify-server-cert\n`,
    });
    await sql(
      "alfa",
      "CREATE DATABASE fortress_lab; CREATE TABLE fortress_lab.items (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40));" +
        Array.from(
          { length: 1000 },
          (_, i) => `INSERT INTO fortress_lab.items (note) VALUES ('base-${i}');`,
        ).join(""),
    );
    for (const r of ["bravo", "charlie"])
      await until(`${r} has the 1,000 rows`, async () => (await count(r).catch(() => "")) === "1000");
  });

  it("switchover to bravo while a client writes: nothing acknowledged is lost, everyone follows bravo", async () => {
    await startWriter("sw1", ["alfa", "bravo"]);
    await until("the writer writes", async () => Number(await count("alfa")) > 1100, 30);
    const start = Date.now();
    await deploy(() => stack("bravo"), waitFor);
    const switchSeconds = seconds(start);
    await new Promise((r) => setTimeout(r, 2000)); // writes on the new primary after the switch
    const { acked, failures } = await stopWriter("sw1");

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
    await startWriter("sw2", ["bravo", "alfa"]);
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
    const { acked, failures } = await stopWriter("sw2");
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
