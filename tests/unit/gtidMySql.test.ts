import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { MYSQL_APT_KEY_FINGERPRINT, MYSQL_APT_KEY_URL } from "../../components/gtidMySql/scripts";
import { PASSWORD_MARK } from "../../sdk/mysqlReplication";
import { DataClass } from "../../sdk/residency";
import { isSecret, valueOf } from "../../sdk/testing/mocks";
import { assertNowhereInClear, dependsOnNames, mocks, registeredOptions } from "./setup";
import {
  host,
  osl,
  step,
  database,
  inputs,
  create,
  scriptValue,
  MYSQL_PRIMARY_CNF,
  CERT,
} from "./gtidMySqlFixtures";

// GtidMySql: the children it makes, the config and replication it ships, its secrets and order.

const MARIADB_REPLICA_CNF = `# Managed by Fortress (GtidMySql). Edits are overwritten; options set here win over the
# packaged files, which the configure step comments out where they would override them.
[mysqld]
bind_address = 10.100.0.2
binlog_expire_logs_seconds = 604800
binlog_format = ROW
gtid_strict_mode = ON
innodb_flush_log_at_trx_commit = 1
log_bin = /var/log/mysql/mysql-bin.log
log_bin_compress = ON
log_slave_updates = ON
master_retry_count = 1000000
port = 3306
read_only = ON
relay_log = relay-bin
relay_log_recovery = ON
server_id = 2138734114
skip_name_resolve = ON
slave_net_timeout = 5
ssl_ca = /etc/mysql/fortress/ca.pem
ssl_cert = /etc/mysql/fortress/server-cert.pem
ssl_key = /etc/mysql/fortress/server-key.pem
sync_binlog = 1
`;

describe("GtidMySql", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  it("creates the passwords, a CA, a key and certificate per node, and install, config and replication steps", async () => {
    await database("db");
    assert.deepStrictEqual(mocks.resources.map((r) => `${r.type} ${r.name}`).sort(), [
      "command:remote:Command db-osl-1-accounts",
      "command:remote:Command db-osl-1-config",
      "command:remote:Command db-osl-1-firewall",
      "command:remote:Command db-osl-1-install",
      "command:remote:Command db-osl-1-promote",
      "command:remote:Command db-osl-2-config",
      "command:remote:Command db-osl-2-demote",
      "command:remote:Command db-osl-2-firewall",
      "command:remote:Command db-osl-2-install",
      "command:remote:Command db-osl-2-replication",
      "command:remote:Command db-osl-3-config",
      "command:remote:Command db-osl-3-demote",
      "command:remote:Command db-osl-3-firewall",
      "command:remote:Command db-osl-3-install",
      "command:remote:Command db-osl-3-replication",
      "fortress:index:GtidMySql db",
      "random:index/randomPassword:RandomPassword db-admin-password",
      "random:index/randomPassword:RandomPassword db-replication-password",
      "tls:index/certRequest:CertRequest db-osl-1-csr",
      "tls:index/certRequest:CertRequest db-osl-2-csr",
      "tls:index/certRequest:CertRequest db-osl-3-csr",
      "tls:index/locallySignedCert:LocallySignedCert db-osl-1-cert",
      "tls:index/locallySignedCert:LocallySignedCert db-osl-2-cert",
      "tls:index/locallySignedCert:LocallySignedCert db-osl-3-cert",
      "tls:index/privateKey:PrivateKey db-ca-key",
      "tls:index/privateKey:PrivateKey db-osl-1-tls-key",
      "tls:index/privateKey:PrivateKey db-osl-2-tls-key",
      "tls:index/privateKey:PrivateKey db-osl-3-tls-key",
      "tls:index/selfSignedCert:SelfSignedCert db-ca",
    ]);
    assert.deepStrictEqual(inputs("db-admin-password"), { length: 32, special: false });
  });

  it("defaults to MySQL 8.4 LTS: the seed's my.cnf as data in mysql.conf.d, bound to the mesh address", async () => {
    const db = await database("db");
    assert.strictEqual(await valueOf(db.flavour), MySqlFlavour.Mysql84);
    const script = create("db-osl-1-config");
    assert.strictEqual(scriptValue(script, "MY_CNF"), MYSQL_PRIMARY_CNF);
    assert.strictEqual(scriptValue(script, "CONFIG_FILE"), "/etc/mysql/mysql.conf.d/60-fortress.cnf");
    assert.strictEqual(scriptValue(script, "SERVICE"), "mysql");
    assert.strictEqual(scriptValue(script, "EXPECTED"), "697887281 3306 10.100.0.1 1 0");
    assert.strictEqual(
      scriptValue(script, "DROP_IN"),
      [
        "# Managed by Fortress (GtidMySql): the server listens on the mesh address, which exists once",
        "# the mesh interface is up.",
        "[Unit]",
        "Wants=wg-quick@wg0.service",
        "After=wg-quick@wg0.service",
        "",
      ].join("\n"),
    );
    const replica = scriptValue(create("db-osl-2-config"), "MY_CNF");
    assert.match(replica, /^read_only = ON$/m);
    assert.match(replica, /^super_read_only = ON$/m);
    assert.match(replica, /^bind_address = 10\.100\.0\.2$/m);
    assert.match(create("db-osl-1-install"), /FLAVOUR='mysql84'/);
    assert.match(create("db-osl-1-install"), /MYSQL_RELEASE='mysql-8\.4-lts'/);
    assert.match(create("db-osl-1-install"), /MYSQL_VERSION='8\.4\.'/);
    assert.match(
      create("db-osl-1-install"),
      new RegExp(`MYSQL_APT_KEY_FINGERPRINT='${MYSQL_APT_KEY_FINGERPRINT}'`),
    );
    assert.match(create("db-osl-1-install"), new RegExp(`MYSQL_APT_KEY_URL='${MYSQL_APT_KEY_URL}'`));
  });

  it("speaks MariaDB's dialect when asked: its own GTIDs, mariadb.conf.d, read_only replicas", async () => {
    await database("db", { flavour: MySqlFlavour.MariaDb });
    const script = create("db-osl-2-config");
    assert.strictEqual(scriptValue(script, "MY_CNF"), MARIADB_REPLICA_CNF);
    assert.strictEqual(scriptValue(script, "CONFIG_FILE"), "/etc/mysql/mariadb.conf.d/60-fortress.cnf");
    assert.strictEqual(scriptValue(script, "SERVICE"), "mariadb");
    assert.strictEqual(scriptValue(script, "EXPECTED"), "2138734114 3306 10.100.0.2 1 1");
    assert.match(create("db-osl-1-install"), /FLAVOUR='mariadb'/);
    assert.strictEqual(
      scriptValue(create("db-osl-3-replication"), "CHANGE_SOURCE"),
      [
        "CHANGE MASTER TO MASTER_HOST='10.100.0.1', MASTER_PORT=3306,",
        `  MASTER_USER='fortress_repl', MASTER_PASSWORD='${PASSWORD_MARK}',`,
        "  MASTER_USE_GTID=slave_pos,",
        "  MASTER_SSL=1, MASTER_SSL_CA='/etc/mysql/fortress/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1,",
        "  MASTER_CONNECT_RETRY=2, MASTER_HEARTBEAT_PERIOD=1;",
      ].join("\n"),
    );
  });

  it("points each replica at the primary's mesh address: auto-positioning, verified TLS, quick reconnects", async () => {
    await database("db");
    for (const replica of ["db-osl-2-replication", "db-osl-3-replication"]) {
      const script = create(replica);
      assert.strictEqual(scriptValue(script, "ROLE"), "replica");
      assert.strictEqual(scriptValue(script, "SOURCE_HOST"), "10.100.0.1");
      assert.strictEqual(
        scriptValue(script, "CHANGE_SOURCE"),
        [
          "CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.100.0.1', SOURCE_PORT=3306,",
          `  SOURCE_USER='fortress_repl', SOURCE_PASSWORD='${PASSWORD_MARK}',`,
          "  SOURCE_AUTO_POSITION=1,",
          "  SOURCE_SSL=1, SOURCE_SSL_CA='/etc/mysql/fortress/ca.pem', SOURCE_SSL_VERIFY_SERVER_CERT=1,",
          "  SOURCE_CONNECT_RETRY=2, SOURCE_RETRY_COUNT=1000000,",
          "  SOURCE_HEARTBEAT_PERIOD=1;",
        ].join("\n"),
      );
    }
    assert.strictEqual(scriptValue(create("db-osl-1-accounts"), "ROLE"), "primary");
    assert.strictEqual(scriptValue(create("db-osl-1-accounts"), "CHANGE_SOURCE"), "");
  });

  it("gives every node a server_id from its name alone, so a new replica changes no other id", async () => {
    const db = await database("db");
    const ids = await valueOf(db.serverIds);
    assert.deepStrictEqual(ids, { "osl-1": 697887281, "osl-2": 2138734114, "osl-3": 3456426025 });
    mocks.reset();
    const bigger = await database("db", { replicas: [osl(3), host("osl-4", "185.1.2.4"), osl(2)] });
    const more = await valueOf(bigger.serverIds);
    for (const [node, id] of Object.entries(ids)) assert.strictEqual(more[node], id, node);
    assert.strictEqual(Object.keys(more).length, 4);
    mocks.reset();
    const pinned = await database("db", { serverIds: { "osl-2": 2 } });
    assert.strictEqual((await valueOf(pinned.serverIds))["osl-2"], 2);
    assert.match(scriptValue(create("db-osl-2-config"), "MY_CNF"), /^server_id = 2$/m);
  });

  it("makes a certificate per server for its mesh address, signed by the component's CA", async () => {
    const db = await database("db");
    assert.deepStrictEqual(inputs("db-ca-key"), { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const ca = inputs("db-ca");
    assert.strictEqual(ca.isCaCertificate, true);
    assert.deepStrictEqual(ca.allowedUses, ["cert_signing", "crl_signing", "digital_signature"]);
    assert.deepStrictEqual(ca.subject, { commonName: "db MySQL CA", organization: "Fortress" });
    assert.deepStrictEqual(inputs("db-osl-2-csr").ipAddresses, ["10.100.0.2"]);
    assert.deepStrictEqual(inputs("db-osl-2-csr").dnsNames, ["osl-2"]);
    const cert = inputs("db-osl-2-cert");
    assert.strictEqual(
      cert.certRequestPem,
      "-----BEGIN CERTIFICATE REQUEST-----\ndb-osl-2-csr\n-----END CERTIFICATE REQUEST-----\n",
    );
    assert.strictEqual(cert.caCertPem, CERT("db-ca"));
    assert.deepStrictEqual(cert.allowedUses, [
      "digital_signature",
      "key_encipherment",
      "server_auth",
      "client_auth",
    ]);
    assert.strictEqual(await valueOf(db.caCertificate), CERT("db-ca"));
    const script = create("db-osl-2-config");
    assert.strictEqual(scriptValue(script, "CA_PEM"), CERT("db-ca"));
    assert.strictEqual(scriptValue(script, "CERT_PEM"), CERT("db-osl-2-cert"));
  });

  it("keeps passwords and keys secret: standard input only, never in a script, secret outputs", async () => {
    const db = await database("db");
    const admin = await valueOf(db.adminPassword);
    const replication = await valueOf(db.replicationPassword);
    assert.strictEqual(await isSecret(db.adminPassword), true);
    assert.strictEqual(await isSecret(db.replicationPassword), true);
    assert.strictEqual(await isSecret(db.caCertificate), false);
    assert.strictEqual(await valueOf(db.adminUser), "fortress_admin");
    assert.strictEqual(await valueOf(db.replicationUser), "fortress_repl");

    // The primary gets both passwords, a replica only the one it replicates with.
    assert.strictEqual(inputs("db-osl-1-accounts").stdin, `${admin}\n${replication}\n`);
    assert.strictEqual(inputs("db-osl-2-replication").stdin, `${replication}\n`);
    // Switchover steps need no password: they run as root on each host.
    for (const n of ["db-osl-1-promote", "db-osl-2-demote"])
      assert.strictEqual(inputs(n).stdin, undefined, n);
    for (const n of ["osl-1", "osl-2", "osl-3"]) {
      // Each server's own TLS key, and nothing else, on its configure step's standard input.
      const key = inputs(`db-${n}-config`).stdin as string;
      assert.match(key, new RegExp(`^-----BEGIN PRIVATE KEY-----\\npem-db-${n}-tls-key-\\d+\\n`));
      await assertNowhereInClear(key.split("\n")[1]);
    }
    const caKey = inputs("db-osl-1-cert").caPrivateKeyPem as string;
    assert.match(caKey, /^-----BEGIN PRIVATE KEY-----\npem-db-ca-key-\d+\n/);
    await assertNowhereInClear(caKey.split("\n")[1]);
    for (const name of [
      "db-osl-1-config",
      "db-osl-1-accounts",
      "db-osl-2-config",
      "db-osl-2-replication",
      "db-osl-3-replication",
    ]) {
      const r = mocks.named(name);
      assert.deepStrictEqual([...r.secretInputs].sort(), ["connection", "stdin"], name);
      assert.strictEqual(r.inputs.logging, "stderr", name);
      const options = registeredOptions.get(name) as pulumi.CustomResourceOptions;
      assert.ok(options.additionalSecretOutputs?.includes("stdout"), name);
    }
    assert.deepStrictEqual(mocks.named("db-osl-1-install").secretInputs, ["connection"]);
    await assertNowhereInClear(admin);
    await assertNowhereInClear(replication);
  });

  it("orders the steps: host ready, install, mesh up, configs one node at a time, accounts, replication", async () => {
    const ready = step("osl-1-ready");
    const meshReady = ["osl-1", "osl-2", "osl-3"].map((n) => step(`mesh-${n}-config`));
    await database("db", {
      primary: host("osl-1", "185.1.2.1", false, ready),
      meshReady,
    });
    const mesh = ["mesh-osl-1-config", "mesh-osl-2-config", "mesh-osl-3-config"];
    assert.deepStrictEqual(await dependsOnNames("db-osl-1-install"), ["osl-1-ready"]);
    assert.deepStrictEqual(await dependsOnNames("db-osl-2-install"), []);
    // A switchover (the primary replicated until now) happens before any configuration changes.
    // Every step on a host waits for the host (hostStep), besides what it names.
    assert.deepStrictEqual(await dependsOnNames("db-osl-1-promote"), [
      "db-osl-1-install",
      ...mesh,
      "osl-1-ready",
    ]);
    assert.deepStrictEqual(await dependsOnNames("db-osl-1-config"), [
      "db-osl-1-install",
      "db-osl-1-promote",
      ...mesh,
      "osl-1-ready",
    ]);
    assert.deepStrictEqual(await dependsOnNames("db-osl-2-config"), [
      "db-osl-1-config",
      "db-osl-2-install",
      ...mesh,
    ]);
    assert.deepStrictEqual(await dependsOnNames("db-osl-3-config"), [
      "db-osl-2-config",
      "db-osl-3-install",
      ...mesh,
    ]);
    // The database port opens once the server runs with its configuration (a failed port change
    // leaves the firewall as it was), and before anyone connects to it.
    assert.deepStrictEqual(await dependsOnNames("db-osl-1-firewall"), ["db-osl-1-config", "osl-1-ready"]);
    assert.deepStrictEqual(await dependsOnNames("db-osl-2-firewall"), ["db-osl-2-config"]);
    assert.deepStrictEqual(await dependsOnNames("db-osl-1-accounts"), [
      "db-osl-1-config",
      "db-osl-1-firewall",
      "osl-1-ready",
    ]);
    assert.deepStrictEqual(await dependsOnNames("db-osl-2-replication"), [
      "db-osl-1-accounts",
      "db-osl-2-config",
      "db-osl-2-firewall",
    ]);
  });

  it("gives the endpoints on the mesh addresses and the port", async () => {
    const db = await database("db", { port: 3307 });
    assert.strictEqual(await valueOf(db.primaryEndpoint), "10.100.0.1:3307");
    assert.deepStrictEqual(await valueOf(db.replicaEndpoints), {
      "osl-2": "10.100.0.2:3307",
      "osl-3": "10.100.0.3:3307",
    });
    assert.match(scriptValue(create("db-osl-1-config"), "MY_CNF"), /^port = 3307$/m);
    assert.match(scriptValue(create("db-osl-2-replication"), "CHANGE_SOURCE"), /SOURCE_PORT=3307,/);
  });

  it("lets a replica on AWS hold internal data", async () => {
    await database("db", {
      replicas: [host("fleet-1", "203.0.113.10", true)],
      dataClass: DataClass.Internal,
    });
    assert.ok(mocks.named("db-fleet-1-replication"));
  });
});
