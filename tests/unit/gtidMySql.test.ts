import * as assert from "assert";
import * as fc from "fast-check";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, GtidMySqlArgs, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import {
  MYSQL_APT_KEY_FINGERPRINT,
  MYSQL_APT_KEY_URL,
  renderInstallScript,
} from "../../components/gtidMySql/scripts";
import { HostArgs } from "../../components/host/hostArgs";
import { InputProblems } from "../../sdk/errors";
import { mySqlConfig, planServerIds, renderMyCnf, serverIdOf } from "../../sdk/mysql";
import { PASSWORD_MARK, changeSourceStatement } from "../../sdk/mysqlReplication";
import { programFacts } from "../../sdk/policy/facts";
import { DataClass, evaluateResidency } from "../../sdk/residency";
import { fakeCertificate, isSecret, settle, valueOf } from "../../sdk/testing/mocks";
import { assertNowhereInClear, dependsOnNames, mocks, recordOptions, registeredOptions } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nbXlzcWwtdGVzdA==\n-----END OPENSSH PRIVATE KEY-----\n";
const CONNECTION = { port: 22, user: "root", privateKey: KEY, dialErrorLimit: 10, perDialTimeout: 15 };

function host(name: string, publicAddress: string, fleet = false, ready?: remote.Command): HostArgs {
  return {
    name,
    connection: pulumi.secret({ host: publicAddress, ...CONNECTION }),
    publicAddress,
    placement: fleet
      ? { provider: "aws", region: "eu-north-1" }
      : { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" },
    ...(ready ? { ready } : {}),
  };
}

const addresses = {
  "osl-1": "10.100.0.1",
  "osl-2": "10.100.0.2",
  "osl-3": "10.100.0.3",
  "osl-4": "10.100.0.4",
  "fleet-1": "10.100.0.9",
};
const osl = (n: number) => host(`osl-${n}`, `185.1.2.${n}`);

/** A stand-in for another component's command (a node's `ready`, a mesh step). */
const step = (name: string) =>
  new remote.Command(name, { connection: { host: "185.1.2.9", ...CONNECTION }, create: "true" });

async function database(name: string, args: Partial<GtidMySqlArgs> = {}): Promise<GtidMySql> {
  const full: GtidMySqlArgs = { primary: osl(1), replicas: [osl(2), osl(3)], addresses, ...args };
  const db = new GtidMySql(name, full, { transformations: [recordOptions] });
  await valueOf(db.primaryEndpoint);
  const nodes = [full.primary, ...(full.replicas ?? [])].map((h) => h.name);
  await Promise.all(nodes.map((n) => valueOf(db.readyOn(n).stdout)));
  await settle();
  return db;
}

const inputs = (name: string) => mocks.named(name).inputs;
const create = (name: string) => inputs(name).create as string;

/** The value a rendered script gives `NAME` (`NAME='...'`, with `'\''` for a quote). */
function scriptValue(script: string, name: string): string {
  const start = script.indexOf(`\n${name}='`);
  assert.ok(start >= 0, `no ${name} in the script`);
  let i = start + name.length + 3;
  let value = "";
  for (;;) {
    const end = script.indexOf("'", i);
    value += script.slice(i, end);
    if (script.startsWith("'\\''", end)) {
      value += "'";
      i = end + 4;
    } else {
      return value;
    }
  }
}

const MYSQL_PRIMARY_CNF = `# Managed by Fortress (GtidMySql). Edits are overwritten; options set here win over the
# packaged files, which the configure step comments out where they would override them.
[mysqld]
bind_address = 10.100.0.1
binlog_expire_logs_seconds = 604800
binlog_format = ROW
binlog_transaction_compression = ON
enforce_gtid_consistency = ON
gtid_mode = ON
innodb_flush_log_at_trx_commit = 1
log_bin = /var/log/mysql/mysql-bin.log
log_replica_updates = ON
port = 3306
read_only = ON
relay_log = relay-bin
relay_log_recovery = ON
replica_net_timeout = 5
server_id = 697887281
skip_name_resolve = ON
ssl_ca = /etc/mysql/fortress/ca.pem
ssl_cert = /etc/mysql/fortress/server-cert.pem
ssl_key = /etc/mysql/fortress/server-key.pem
super_read_only = ON
sync_binlog = 1
`;

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

const CERT = fakeCertificate;

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

  it("switchover: every replica turns read-only and reports its GTIDs before the primary takes over", async () => {
    // osl-2 was the primary until now: the config names osl-1.
    await database("db", { flavour: MySqlFlavour.MariaDb, primary: osl(1), replicas: [osl(2), osl(3)] });
    for (const n of ["osl-2", "osl-3"]) {
      assert.deepStrictEqual(await dependsOnNames(`db-${n}-demote`), [`db-${n}-install`]);
      assert.match(create(`db-${n}-demote`), /SET GLOBAL read_only = ON/);
      assert.match(create(`db-${n}-demote`), /'fortress-mysql-demote'$/);
    }
    assert.strictEqual(mocks.resources.filter((r) => r.name === "db-osl-1-demote").length, 0);
    // The primary waits for what each of them reported (their mesh address and GTIDs).
    assert.match(create("db-osl-1-promote"), /^DEMOTED='osl-2@10\.100\.0\.2= osl-3@10\.100\.0\.3='$/m);
    assert.match(create("db-osl-1-promote"), /MASTER_GTID_WAIT\(@GTIDS, @SECONDS\)/);
    assert.deepStrictEqual(await dependsOnNames("db-osl-1-config"), ["db-osl-1-install", "db-osl-1-promote"]);
  });

  it("refuses a switch to a replica the residency rules would not allow as primary, before any host is touched", () => {
    mocks.reset();
    assert.throws(
      () =>
        new GtidMySql("db", {
          primary: host("fleet-1", "203.0.113.10", true),
          replicas: [osl(1)],
          addresses,
        }),
      (e: Error) =>
        /^GtidMySql "db" has \d+ invalid inputs:\n {2}- primary: residency rule personal-data-location: MySQL primary "db" holds personal data on node "fleet-1"/.test(
          e.message,
        ),
    );
    assert.deepStrictEqual(
      mocks.resources.filter((r) => r.type === "command:remote:Command"),
      [],
    );
  });

  it("backups: a read-only account on the primary, a timer on the backup node, sealed with a key it cannot open", async () => {
    const db = await database("db", { flavour: MySqlFlavour.MariaDb, backup: { node: osl(4), keep: 3 } });
    const admin = await valueOf(db.adminPassword);
    const replication = await valueOf(db.replicationPassword);
    const stdin = inputs("db-osl-1-accounts").stdin as string;
    const [, , third] = stdin.split("\n");
    assert.strictEqual(stdin, `${admin}\n${replication}\n${third}\n`);
    assert.match(third, /^password-db-backup-password-\d+$/);
    assert.match(create("db-osl-1-accounts"), /^BACKUP_USER='fortress_backup'$/m);
    assert.match(
      create("db-osl-1-accounts"),
      /^BACKUP_PRIVILEGES='SELECT, RELOAD, LOCK TABLES, SHOW VIEW, EVENT, TRIGGER, REPLICATION CLIENT'$/m,
    );
    assert.match(create("db-osl-2-replication"), /^BACKUP_USER=''$/m);
    // The backup node's step: after the primary's accounts, the password on stdin only.
    assert.deepStrictEqual(await dependsOnNames("db-backup"), ["db-osl-1-accounts"]);
    assert.strictEqual(inputs("db-backup").stdin, `${third}\n`);
    assert.deepStrictEqual([...mocks.named("db-backup").secretInputs].sort(), ["connection", "stdin"]);
    const target = create("db-backup");
    assert.match(target, /^ON_CALENDAR='\*-\*-\* 02:30:00'$/m);
    const job = scriptValue(target, "JOB");
    assert.match(job, /^KEEP='3'$/m);
    assert.match(job, /^PRIMARY='10\.100\.0\.1'$/m);
    assert.match(
      job,
      /--single-transaction --all-databases --routines --events --triggers --hex-blob --gtid --master-data=2/,
    );
    assert.match(target, /-----BEGIN PUBLIC KEY-----/);
    assert.doesNotMatch(target, /PRIVATE KEY/);
    assert.match(inputs("db-backup").delete as string, /'fortress-mysql-backup-teardown'$/);
    assert.deepStrictEqual(inputs("db-backup-key"), { algorithm: "RSA", rsaBits: 3072 });
    assert.strictEqual(await isSecret(db.backupPrivateKey), true);
    assert.match(await valueOf(db.backupPrivateKey), /PRIVATE KEY/);
    assert.strictEqual(await valueOf(db.backupUser), "fortress_backup");
    await assertNowhereInClear(third);
  });

  it("no backups unless asked: no account, no key, empty outputs", async () => {
    const db = await database("db");
    assert.match(create("db-osl-1-accounts"), /^BACKUP_USER=''$/m);
    assert.strictEqual(mocks.resources.filter((r) => r.name.startsWith("db-backup")).length, 0);
    assert.strictEqual(await valueOf(db.backupPrivateKey), "");
    assert.strictEqual(await valueOf(db.backupUser), "");
  });

  it("runs the teardown on destroy, as root with bash, and keeps the scripts readable", async () => {
    await database("db", { flavour: MySqlFlavour.MariaDb });
    const teardown = inputs("db-osl-2-config").delete as string;
    assert.match(teardown, /^bash -c "\$\(cat <<'FORTRESS_SCRIPT_END'\n#!\/usr\/bin\/env bash\n/);
    assert.match(teardown, /ROLE='replica'/);
    assert.match(teardown, /'fortress-mysql-teardown'$/);
    assert.strictEqual(inputs("db-osl-2-replication").delete, undefined);
    assert.strictEqual(inputs("db-osl-1-install").delete, undefined);
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

  describe("bad input fails at preview", () => {
    const fails = (args: Partial<GtidMySqlArgs>, message: string) =>
      assert.throws(() => new GtidMySql("bad", { primary: osl(1), replicas: [osl(2)], addresses, ...args }), {
        message,
      });

    it("no primary", () =>
      fails(
        { primary: undefined, replicas: [] },
        "primary: is required: the node that takes the writes (`KvmNode.host()`)",
      ));
    it("a replica twice", () =>
      fails({ replicas: [osl(2), osl(2)] }, 'replicas[1].name: "osl-2" is a replica twice; list it once'));
    it("the primary as a replica", () =>
      fails(
        { replicas: [osl(1)] },
        'replicas[0].name: "osl-1" is the primary; a node is the primary or a replica, not both',
      ));
    it("an unknown flavour", () =>
      fails(
        { flavour: "postgres" as MySqlFlavour },
        'flavour: "postgres" is not a MySQL flavour; use "mysql84" (MySQL 8.4 LTS, the default), "mysql80" (MySQL 8.0, end of life) or "mariadb" (MariaDB as Debian ships it)',
      ));
    it("a port out of range", () =>
      fails({ port: 70000 }, "port: 70000 is not a valid port; use a whole number from 1 to 65535"));
    it("an unknown data class", () =>
      fails(
        { dataClass: "secret" as DataClass },
        'dataClass: "secret" is not a data class; use one of personal, special, internal, public (special is GDPR article 9 data)',
      ));
    it("a node name that cannot name a child", () =>
      fails(
        { replicas: [host("Osl_2", "185.1.2.2")] },
        'replicas[0].name: "Osl_2" is not a node name; use lower-case letters, digits and "-", starting with a letter',
      ));
    it("a node without a mesh address, and one that is no IP address", () =>
      fails(
        { addresses: { "osl-1": "osl-1.mesh" } },
        [
          'GtidMySql "bad" has 2 invalid inputs:',
          '  - addresses["osl-1"]: "osl-1.mesh" is not an IP address; give each node\'s mesh address (WireGuardMesh.addresses)',
          '  - addresses["osl-2"]: is missing: give the mesh address of node "osl-2"',
        ].join("\n"),
      ));
    it("binary logs kept for no day", () =>
      fails({ binlogRetentionDays: 0 }, "binlogRetentionDays: 0 is out of range; use 1 to 365 days"));
    it("a pinned server_id another node has", () =>
      fails(
        { serverIds: { "osl-2": serverIdOf("osl-1") } },
        'serverIds["osl-2"]: node "osl-2" gets server_id 697887281, which node "osl-1" has too; server ids must be unique, so pin another one for "osl-2" (e.g. 1)',
      ));
    it("a server_id for a node that is not there", () =>
      fails(
        { serverIds: { "osl-9": 9 } },
        'serverIds["osl-9"]: names no node of the database; nodes are osl-1, osl-2',
      ));
    it("several at once, one per line", () =>
      fails(
        { replicas: [osl(2), osl(2), osl(1)], flavour: "postgres" as MySqlFlavour, port: 0 },
        [
          'GtidMySql "bad" has 4 invalid inputs:',
          '  - replicas[1].name: "osl-2" is a replica twice; list it once',
          '  - replicas[2].name: "osl-1" is the primary; a node is the primary or a replica, not both',
          '  - flavour: "postgres" is not a MySQL flavour; use "mysql84" (MySQL 8.4 LTS, the default), "mysql80" (MySQL 8.0, end of life) or "mariadb" (MariaDB as Debian ships it)',
          "  - port: 0 is not a valid port; use a whole number from 1 to 65535",
        ].join("\n"),
      ));
    it("a replica on AWS with personal data, naming each rule and the node", () =>
      fails(
        { replicas: [osl(2), host("fleet-1", "203.0.113.10", true)] },
        [
          'GtidMySql "bad" has 3 invalid inputs:',
          '  - replicas: residency rule personal-data-location: MySQL replica "bad/fleet-1" holds personal data on node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act); the residency policy allows personal data only in Norway. Move MySQL replica "bad/fleet-1" from node "fleet-1" to a node in Norway, or keep only internal or public data in it.',
          '  - replicas: residency rule foreign-jurisdiction: MySQL replica "bad/fleet-1" holds personal data on node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act); under the US CLOUD Act, authorities of the United States can compel the provider to hand over data it holds anywhere, so the data is under a third country\'s jurisdiction wherever the node is (Schrems II). Move MySQL replica "bad/fleet-1" from node "fleet-1" to a node whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is under no foreign access law (e.g. CoolVDS in Norway).',
          '  - replicas: residency rule replication-target: Flow "bad replication to fleet-1" sends personal data to node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act), which may not hold it: Sweden is not an allowed country (allowed: Norway); its provider Amazon Web Services has its legal seat in the United States, subject to the US CLOUD Act. Send personal data only to nodes in Norway whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is under no foreign access law (e.g. CoolVDS in Norway), or send only internal or public data to node "fleet-1".',
        ].join("\n"),
      ));
    it("backups on the primary, on AWS, or kept for no day", () =>
      assert.throws(
        () =>
          new GtidMySql("bad", {
            primary: osl(1),
            addresses,
            backup: { node: host("fleet-1", "203.0.113.10", true) },
          }),
        (e: Error) =>
          /^GtidMySql "bad" has \d+ invalid inputs:\n {2}- backup\.node: residency rule personal-data-location: MySQL backups "bad\/backups" holds personal data on node "fleet-1"/.test(
            e.message,
          ) &&
          /backup\.node: residency rule replication-target: Flow "bad backups to fleet-1"/.test(e.message),
      ));
    it("backups on the primary itself, a bad schedule and no backup kept", () =>
      fails(
        { backup: { node: osl(1), onCalendar: "daily; rm -rf /", keep: 0 } },
        [
          'GtidMySql "bad" has 3 invalid inputs:',
          '  - backup.node: "osl-1" is the primary; backups belong on another node (a replica or a node of their own)',
          '  - backup.onCalendar: "daily; rm -rf /" is not a systemd calendar expression; use e.g. "daily" or "*-*-* 02:30:00"',
          "  - backup.keep: 0 is out of range; keep 1 to 365 backups",
        ].join("\n"),
      ));
    it("a primary on AWS, under `primary`", () =>
      assert.throws(
        () =>
          new GtidMySql("bad", {
            primary: host("fleet-1", "203.0.113.10", true),
            addresses,
            dataClass: DataClass.Special,
          }),
        (e: Error) => {
          assert.match(
            e.message,
            /^GtidMySql "bad" has 2 invalid inputs:\n {2}- primary: residency rule personal-data-location: MySQL primary "bad" holds special-category data \(GDPR art\. 9\) on node "fleet-1"/,
          );
          return true;
        },
      ));
  });
});

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

describe("GtidMySql backups in the residency facts (policy pack, report)", () => {
  const node = (name: string, placement: Record<string, string>) => ({ name, placement });
  const facts = (backupNode: { name: string; placement: Record<string, string> }) =>
    programFacts(
      [
        {
          type: "fortress:index:GtidMySql",
          name: "db",
          urn: "urn:pulumi:prod::fortress::fortress:index:GtidMySql::db",
          props: {
            primary: node("osl-1", { country: "NO", provider: "coolvds" }),
            replicas: [node("osl-2", { country: "NO", provider: "coolvds" })],
            backup: { node: backupNode },
          },
        },
      ],
      "inputs",
    );

  it("name the backup node as a store of the database's data, fed from the primary over the mesh", () => {
    const f = facts(node("bak-1", { country: "NO", provider: "coolvds" }));
    assert.deepStrictEqual(
      f.deployment.dataStores?.find((s) => s.name === "db/backups"),
      { name: "db/backups", kind: "MySQL backups", dataClass: DataClass.Personal, nodes: ["bak-1"] },
    );
    assert.deepStrictEqual(
      f.deployment.flows?.find((x) => x.name === "db backups to bak-1"),
      {
        name: "db backups to bak-1",
        from: "osl-1",
        to: "bak-1",
        dataClass: DataClass.Personal,
        overMesh: true,
        encrypted: true,
      },
    );
    assert.strictEqual(f.urns.get("db/backups"), "urn:pulumi:prod::fortress::fortress:index:GtidMySql::db");
    assert.deepStrictEqual(
      evaluateResidency(f.deployment, {}).map((v) => v.ruleId),
      [],
    );
  });

  it("so backups on AWS break the rules the pack enforces", () => {
    const f = facts(node("fleet-1", { provider: "aws", region: "eu-north-1" }));
    const rules = evaluateResidency(f.deployment, {}).map((v) => v.ruleId);
    assert.ok(rules.includes("personal-data-location"), rules.join(", "));
    assert.ok(rules.includes("replication-target"), rules.join(", "));
  });
});
