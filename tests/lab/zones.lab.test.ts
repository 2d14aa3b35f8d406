// Zones on the mesh, on real hosts: alfa (the primary) and bravo (its replica) are Fortress nodes
// in Oslo, delta is a Fortress node outside the database, charlie is placed as a Fleet node (AWS,
// eu-north-1: a US-owned provider, so it may not hold personal data). The components' own
// scripts run over real SSH; then real connections over the mesh show what each node reaches.
import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { Placement } from "../../sdk/residency";
import { deploy, engine } from "./engine";
import { mysqlClient, until } from "./mysqlClient";
import { labSuite } from "./suite";

const NAMES = ["alfa", "bravo", "charlie", "delta"];
const PRIMARY = "alfa";
const FLEET = "charlie";
const OSLO: Placement = { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "lab" };
const FLEET_PLACEMENT: Placement = { provider: "aws", region: "eu-north-1", site: "lab" };
/**
 * The ports the matrix tries: SSH (the baseline opens it to everyone), the database, the K3s API,
 * the kubelet, etcd, and one nobody declares.
 */
const PORTS = [22, 3306, 6443, 10250, 2379, 8080];
const SSH = 22;
const PROBE_SECONDS = 2;

type Probe = "open" | "closed" | "dropped";

describe("zones on the mesh, on the lab (a Fleet node among Fortress nodes)", function () {
  const { host, kvmNode } = labSuite(NAMES, { realProviders: true });
  const { sql } = mysqlClient(host);

  /** The program: four nodes, one mesh, the database on alfa with replicas on the Fortress. */
  function stack(replicas: string[] = ["bravo"]) {
    const nodes = NAMES.map((name) => kvmNode(name, { placement: name === FLEET ? FLEET_PLACEMENT : OSLO }));
    // "charlie" hashes to the address "bravo" has; pinned, as in the other lab tests.
    const mesh = new WireGuardMesh("mesh", {
      nodes: nodes.map((n) => n.host()),
      addresses: { charlie: "10.100.0.254" },
    });
    const hostOf = (name: string) => nodes[NAMES.indexOf(name)].host();
    const db = new GtidMySql("db", {
      primary: hostOf(PRIMARY),
      replicas: replicas.map(hostOf),
      addresses: mesh.addresses,
      meshReady: NAMES.map((n) => mesh.appliedOn(n)),
      flavour: MySqlFlavour.MariaDb,
    });
    return { nodes, mesh, db, members: [PRIMARY, ...replicas] };
  }
  const waitFor = (built: ReturnType<typeof stack>) => [
    built.db.primaryEndpoint,
    ...NAMES.map((n) => built.mesh.appliedOn(n).stdout),
    ...built.members.map((n) => built.db.readyOn(n).stdout),
  ];
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

  let addresses: Record<string, string> = {};
  let adminPassword = "";

  /**
   * TCP connections from `from` to `to`'s mesh address, all at once, each given PROBE_SECONDS: a
   * handshake is "open", a reset "closed" (the firewall let it through to a port where nothing
   * listens), silence "dropped" (the firewall).
   */
  async function probe(from: string, to: string, ports: readonly number[]): Promise<Record<number, Probe>> {
    const target = addresses[to];
    assert.match(target, /^10\.100\.0\.\d+$/, "probes go to lab mesh addresses only");
    const script = ports
      .map(
        (p) =>
          `( timeout ${PROBE_SECONDS} bash -c '</dev/tcp/${target}/${p}' 2>/dev/null; echo "${p} $?" ) &`,
      )
      .join("\n");
    const out = (await host(from).exec(`${script}\nwait`, { check: false })).stdout;
    const result: Record<number, Probe> = {};
    for (const line of out.trim().split("\n")) {
      const [port, code] = line.split(" ").map(Number);
      result[port] = code === 0 ? "open" : code === 124 ? "dropped" : "closed";
    }
    assert.deepStrictEqual(Object.keys(result).map(Number).sort(), [...ports].sort(), out);
    return result;
  }

  /** Every ordered pair, every port of PORTS; printed as a matrix. Bounded: 4·3·6 probes, 2 s each, in parallel per source. */
  async function matrix(): Promise<Record<string, Record<string, Record<number, Probe>>>> {
    const start = Date.now();
    const rows = await Promise.all(
      NAMES.map(async (from) => {
        const row: Record<string, Record<number, Probe>> = {};
        await Promise.all(
          NAMES.filter((to) => to !== from).map(async (to) => (row[to] = await probe(from, to, PORTS))),
        );
        return [from, row] as const;
      }),
    );
    const m = Object.fromEntries(rows);
    const zone = (n: string) => (n === FLEET ? "fleet" : "fortress");
    const lines = [
      `    reachability over the mesh (${PORTS.join(", ")}/tcp; ${NAMES.length * (NAMES.length - 1) * PORTS.length} probes in ${((Date.now() - start) / 1000).toFixed(1)} s):`,
      `    ${"from -> to".padEnd(40)}${PORTS.map((p) => String(p).padEnd(9)).join("")}`,
    ];
    for (const from of NAMES)
      for (const to of NAMES.filter((t) => t !== from))
        lines.push(
          `    ${`${from} (${zone(from)}) -> ${to} (${zone(to)})`.padEnd(40)}${PORTS.map((p) => m[from][to][p].padEnd(9)).join("")}`,
        );
    console.log(lines.join("\n"));
    return m;
  }

  it("deploys the zoned mesh: each member's database port open to the members only, accounts bound, replication running", async () => {
    const start = Date.now();
    const built = await deploy(() => stack(), waitFor);
    console.log(
      `    first deployment (4 nodes, mesh, database) in ${((Date.now() - start) / 1000).toFixed(1)} s`,
    );
    addresses = await value(built.mesh.addresses);
    adminPassword = await value(built.db.adminPassword);
    for (const name of NAMES) {
      const chain = (await host(name).exec("nft list chain inet fortress input")).stdout;
      assert.match(chain, /iifname @mesh_ifaces jump mesh_in/, name);
      // wg0 is no longer trusted wholesale.
      assert.doesNotMatch((await host(name).exec("nft list set inet fortress trusted_ifaces")).stdout, /wg0/);
    }
    const set = (await host(PRIMARY).exec("nft list set inet fortress mesh_db_mysql")).stdout;
    assert.match(set, new RegExp(`elements = \\{ ${addresses.bravo.replace(/\./g, "\\.")} \\}`));
    assert.strictEqual(
      await sql(
        PRIMARY,
        "SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User LIKE 'fortress%' ORDER BY 1",
      ),
      [
        ...[addresses.alfa, addresses.bravo].sort().map((a) => `fortress_admin@${a}`),
        `fortress_repl@${addresses.bravo}`,
      ].join("\n"),
    );
    assert.strictEqual((await sql("bravo", "SHOW SLAVE STATUS")).split("\t").includes(addresses.alfa), true);
  });

  it("prints the reachability matrix: the Fleet reaches nothing undeclared, a non-member no database", async () => {
    const m = await matrix();
    for (const to of NAMES.filter((n) => n !== FLEET)) {
      for (const p of PORTS.filter((x) => x !== SSH))
        assert.strictEqual(m[FLEET][to][p], "dropped", `${FLEET} -> ${to}:${p}`);
      // SSH is open to everyone by the baseline, the mesh no exception.
      assert.strictEqual(m[FLEET][to][SSH], "open");
    }
    assert.strictEqual(m.bravo.alfa[3306], "open");
    assert.strictEqual(m.alfa.bravo[3306], "open");
    assert.strictEqual(m.delta.alfa[3306], "dropped", "delta is no member of the database");
    // Nothing declares 8080, 6443, 10250 or 2379 here (no K3s on the lab): dropped between Fortress nodes too.
    for (const [from, to] of [
      ["bravo", "alfa"],
      ["alfa", "delta"],
    ])
      for (const p of [8080, 6443, 10250, 2379])
        assert.strictEqual(m[from][to][p], "dropped", `${from} -> ${to}:${p}`);
  });

  it("a Fleet node cannot reach the database", async () => {
    assert.strictEqual((await probe(FLEET, PRIMARY, [3306]))[3306], "dropped");
    assert.strictEqual((await probe(FLEET, "bravo", [3306]))[3306], "dropped");
    // The packets reach alfa over the mesh (the tunnel is up) and its firewall drops them.
    await host(FLEET).exec(`ping -c 1 -W 2 ${addresses[PRIMARY]}`);
  });

  it("a Fortress member reaches the database, and replication keeps working", async () => {
    assert.strictEqual((await probe("bravo", PRIMARY, [3306]))[3306], "open");
    await sql(
      PRIMARY,
      "CREATE DATABASE IF NOT EXISTS zones_lab; CREATE TABLE IF NOT EXISTS zones_lab.items (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40));" +
        "INSERT INTO zones_lab.items (note) VALUES ('zoned');",
    );
    const total = await sql(PRIMARY, "SELECT COUNT(*) FROM zones_lab.items");
    const took = await until(
      "the row on bravo",
      async () => (await sql("bravo", "SELECT COUNT(*) FROM zones_lab.items").catch(() => "")) === total,
      30,
    );
    console.log(`    a row written on alfa is on bravo after ${took.toFixed(1)} s`);
  });

  it("a Fleet node's admin login is refused by the server itself, even with the firewall opened by hand", async () => {
    const client = (from: string) =>
      host(from).exec(
        `mariadb --defaults-extra-file=/root/zones-admin.cnf -h ${addresses[PRIMARY]} --connect-timeout=5 --batch --skip-column-names`,
        { stdin: "SELECT CURRENT_USER()", check: false },
      );
    for (const from of [FLEET, "bravo"]) {
      await host(from).exec("install -m 600 /dev/stdin /root/zones-admin.cnf", {
        stdin: `[client]\nuser=fortress_admin\npassword=${adminPassword}\nssl-ca=/etc/mysql/fortress/ca.pem\n`,
      });
    }
    // charlie has no CA file of its own; it is no member. It gets the CA (public) for the test.
    await host(FLEET).exec(
      "mkdir -p /etc/mysql/fortress && install -m 644 /dev/stdin /etc/mysql/fortress/ca.pem",
      {
        stdin: (await host(PRIMARY).exec("cat /etc/mysql/fortress/ca.pem")).stdout,
      },
    );
    try {
      const dropped = await client(FLEET);
      assert.notStrictEqual(dropped.code, 0);
      assert.match(
        dropped.stderr,
        /ERROR 2002|ERROR 2013|timed out|Can't connect/i,
        "the firewall drops it first",
      );
      // Open the port by hand, for charlie only, as an operator's mistake would.
      await host(PRIMARY).exec(
        `nft insert rule inet fortress mesh_in ip saddr ${addresses[FLEET]} tcp dport 3306 accept`,
      );
      assert.strictEqual((await probe(FLEET, PRIMARY, [3306]))[3306], "open");
      const refused = await client(FLEET);
      assert.notStrictEqual(refused.code, 0);
      // The server's own answer (error 1130), which a TLS client shows inside its error 2002.
      assert.match(
        refused.stderr,
        new RegExp(`1130\\D.*Host '${addresses[FLEET].replace(/\./g, "\\.")}' is not allowed to connect`),
      );
      console.log(`    from the Fleet, with the firewall open: ${refused.stderr.trim()}`);
      // The same account from a Fortress member logs in.
      const member = await client("bravo");
      assert.strictEqual(member.code, 0, member.stderr);
      assert.strictEqual(member.stdout.trim(), `fortress_admin@${addresses.bravo}`);
    } finally {
      // The boot unit's ruleset and drop-ins, as they were: the hand-made rule goes.
      await host(PRIMARY).exec("nft -f /etc/fortress/firewall.nft");
      await host(FLEET).exec("rm -rf /root/zones-admin.cnf /etc/mysql/fortress");
      await host("bravo").exec("rm -f /root/zones-admin.cnf");
    }
    assert.strictEqual((await probe(FLEET, PRIMARY, [3306]))[3306], "dropped");
  });

  it("runs every script a second time without changing anything", async () => {
    const start = Date.now();
    await deploy(() => stack(), waitFor);
    console.log(`    second deployment in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    // 4 nodes: baseline, firewall confirm, mesh key, mesh config; 2 members: install, firewall,
    // config, accounts/replication; the primary's promote and the replica's demote.
    assert.strictEqual(engine.runs.length, 4 * 4 + 2 * 4 + 2);
    for (const run of engine.runs)
      assert.match(run.stdout + run.stderr, /changed: none/, `${run.name} on ${run.host} changed something`);
  });

  it("adding and removing a replica updates the allow-lists without dropping the replication connection", async () => {
    const dumpThread = () =>
      sql(
        PRIMARY,
        "SELECT GROUP_CONCAT(ID ORDER BY ID) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Binlog Dump'",
      );
    const before = await dumpThread();
    assert.match(before, /^\d+$/, "bravo's binlog dump thread");
    await deploy(() => stack(["bravo", "delta"]), waitFor);
    assert.match(engine.ran("db-alfa-firewall")[0].stdout, /changed: mesh-firewall/);
    assert.match(engine.ran("db-alfa-accounts")[0].stdout, /changed: .*replication-account/);
    const set = (await host(PRIMARY).exec("nft list set inet fortress mesh_db_mysql")).stdout;
    for (const r of ["bravo", "delta"]) assert.ok(set.includes(addresses[r]), `${r} in ${set}`);
    assert.strictEqual((await probe("delta", PRIMARY, [3306]))[3306], "open");
    // bravo's connection to the primary is the one it had: the reload dropped nothing.
    const both = (await dumpThread()).split(",");
    assert.ok(both.includes(before), `bravo reconnected: ${before} -> ${both.join(",")}`);
    assert.strictEqual(both.length, 2);

    await deploy(() => stack(["bravo"]), waitFor);
    assert.match(engine.ran("db-alfa-firewall")[0].stdout, /changed: mesh-firewall/);
    assert.strictEqual((await probe("delta", PRIMARY, [3306]))[3306], "dropped");
    assert.strictEqual(
      await sql(PRIMARY, "SELECT Host FROM mysql.user WHERE User = 'fortress_repl'"),
      addresses.bravo,
    );
    assert.ok((await dumpThread()).split(",").includes(before), "bravo kept its connection");
    // delta's server stays as the removed replica left it (GtidMySql has no replica removal here);
    // stop it replicating so it does not retry against the closed port.
    await sql("delta", "STOP SLAVE; RESET SLAVE ALL");
  });

  it("moves accounts an earlier deployment made at '%' to bound hosts, without stopping replication", async () => {
    // As an earlier version left them: both accounts at '%' only, bravo replicating through it.
    const hash = await sql(
      PRIMARY,
      `SELECT authentication_string FROM mysql.user WHERE User = 'fortress_repl' AND Host = '${addresses.bravo}'`,
    );
    const adminHash = await sql(
      PRIMARY,
      `SELECT authentication_string FROM mysql.user WHERE User = 'fortress_admin' AND Host = '${addresses.alfa}'`,
    );
    await sql(
      PRIMARY,
      `CREATE USER 'fortress_repl'@'%' IDENTIFIED BY PASSWORD '${hash}' REQUIRE SSL; GRANT REPLICATION SLAVE ON *.* TO 'fortress_repl'@'%';` +
        `CREATE USER 'fortress_admin'@'%' IDENTIFIED BY PASSWORD '${adminHash}'; GRANT ALL PRIVILEGES ON *.* TO 'fortress_admin'@'%' WITH GRANT OPTION;` +
        `DROP USER 'fortress_repl'@'${addresses.bravo}';`,
    );
    await sql("bravo", "STOP SLAVE; START SLAVE");
    await until("bravo replicates as fortress_repl@'%'", async () =>
      (await sql("bravo", "SHOW SLAVE STATUS")).includes("\tYes\tYes\t"),
    );
    await deploy(() => stack(), waitFor);
    assert.match(engine.ran("db-alfa-accounts")[0].stdout, /changed: admin-account replication-account/);
    assert.strictEqual(
      await sql(PRIMARY, "SELECT COUNT(*) FROM mysql.user WHERE Host = '%' AND User LIKE 'fortress%'"),
      "0",
    );
    await sql(PRIMARY, "INSERT INTO zones_lab.items (note) VALUES ('after the move')");
    const total = await sql(PRIMARY, "SELECT COUNT(*) FROM zones_lab.items");
    await until(
      "the row on bravo",
      async () => (await sql("bravo", "SELECT COUNT(*) FROM zones_lab.items")) === total,
      30,
    );
    // A new connection finds the account at bravo's own address.
    await sql("bravo", "STOP SLAVE; START SLAVE");
    await until("bravo reconnects as fortress_repl@bravo", async () =>
      (await sql("bravo", "SHOW SLAVE STATUS")).includes("\tYes\tYes\t"),
    );
  });

  it("keeps the zones after a reboot of the primary", async () => {
    await host(PRIMARY).reboot();
    await until(
      "alfa's database over the mesh from bravo",
      async () => (await probe("bravo", PRIMARY, [3306]))[3306] === "open",
      120,
    );
    assert.strictEqual((await probe(FLEET, PRIMARY, [3306]))[3306], "dropped");
    assert.match(
      (await host(PRIMARY).exec("nft list set inet fortress mesh_db_mysql")).stdout,
      new RegExp(addresses.bravo.replace(/\./g, "\\.")),
    );
  });

  it("destroy removes the database's drop-ins and reloads the firewall without them", async () => {
    await deploy(() => stack(), waitFor);
    const ran = await engine.destroy();
    assert.match(
      ran.find((r) => r.name === "db-alfa-firewall")?.stdout ?? "",
      /changed: mesh-firewall-removed/,
    );
    for (const name of NAMES) {
      const left = await host(name).exec("ls /etc/fortress/firewall.d 2>/dev/null | grep -c mysql || true");
      assert.strictEqual(left.stdout.trim(), "0", name);
    }
  });
});
