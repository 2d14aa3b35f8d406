import * as assert from "assert";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { DataClass } from "../../sdk/residency";
import { mocks, registeredOptions } from "./setup";
import { host, addresses, osl, database, inputs, create, scriptValue } from "./gtidMySqlFixtures";

// GtidMySql on a zoned mesh: its port in the firewall and its accounts' hosts.

describe("GtidMySql on a zoned mesh", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });
  const dropIn = (node: string) => scriptValue(create(`db-${node}-firewall`), "DROPIN");

  it("opens the database port on each member to the other members only, in a drop-in of the firewall", async () => {
    await database("db");
    assert.strictEqual(
      scriptValue(create("db-osl-1-firewall"), "DROPIN_FILE"),
      "/etc/fortress/firewall.d/20-mysql-db.nft",
    );
    assert.strictEqual(
      dropIn("osl-1"),
      [
        `# Managed by Fortress (GtidMySql "db"): who may reach what on this node over the mesh.`,
        "table inet fortress {",
        "  set mesh_db_mysql {",
        "    type ipv4_addr",
        "    flags interval",
        "    elements = { 10.100.0.2, 10.100.0.3 }",
        "  }",
        "}",
        'add rule inet fortress mesh_in ip saddr @mesh_db_mysql tcp dport 3306 accept comment "mysql"',
        "",
      ].join("\n"),
    );
    assert.match(dropIn("osl-2"), /elements = \{ 10\.100\.0\.1, 10\.100\.0\.3 \}/);
    // On destroy the drop-in goes, and the firewall is reloaded without it.
    assert.match(inputs("db-osl-2-firewall").delete as string, /\nDROPIN=''\n/);
  });

  it("binds the admin account to the primary and the Fortress members, the replication account to the replicas, never '%'", async () => {
    for (const flavour of [MySqlFlavour.Mysql80, MySqlFlavour.MariaDb]) {
      mocks.reset();
      await database(`db-${flavour}`, { flavour });
      const script = create(`db-${flavour}-osl-1-accounts`);
      assert.strictEqual(scriptValue(script, "ADMIN_HOSTS"), "10.100.0.1 10.100.0.2 10.100.0.3", flavour);
      assert.strictEqual(scriptValue(script, "REPLICATION_HOSTS"), "10.100.0.2 10.100.0.3", flavour);
      assert.doesNotMatch(script, /@'%'/, flavour);
    }
  });

  it("lets the admin in from what adminHosts allows, and checks it names an address", async () => {
    await database("db", { adminHosts: ["10.100.0.4"] });
    assert.strictEqual(
      scriptValue(create("db-osl-1-accounts"), "ADMIN_HOSTS"),
      "10.100.0.1 10.100.0.2 10.100.0.3 10.100.0.4",
    );
    assert.match(dropIn("osl-1"), /elements = \{ 10\.100\.0\.2, 10\.100\.0\.3, 10\.100\.0\.4 \}/);
    assert.throws(
      () => new GtidMySql("bad", { primary: osl(1), addresses, adminHosts: ["%", "10.100.0.0/24"] }),
      (e: Error) =>
        e.message.includes(`adminHosts[0]: "%" is not an IPv4 address; give a host's mesh address`) &&
        e.message.includes(`adminHosts[1]: "10.100.0.0/24" is not an IPv4 address`),
    );
  });

  it("keeps a Fleet member out of the admin account", async () => {
    await database("db", {
      replicas: [osl(2), host("fleet-1", "203.0.113.10", true)],
      dataClass: DataClass.Internal,
    });
    const script = create("db-osl-1-accounts");
    assert.strictEqual(scriptValue(script, "ADMIN_HOSTS"), "10.100.0.1 10.100.0.2");
    assert.strictEqual(scriptValue(script, "REPLICATION_HOSTS"), "10.100.0.2 10.100.0.9");
    // Data that is not personal: a Fleet replica still replicates.
    assert.match(dropIn("osl-1"), /elements = \{ 10\.100\.0\.2, 10\.100\.0\.9 \}/);
  });
});
