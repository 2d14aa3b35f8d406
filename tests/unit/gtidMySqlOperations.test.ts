import * as assert from "assert";
import { GtidMySql, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { programFacts } from "../../sdk/policy/facts";
import { DataClass, evaluateResidency } from "../../sdk/residency";
import { isSecret, valueOf } from "../../sdk/testing/mocks";
import { assertNowhereInClear, dependsOnNames, mocks, registeredOptions } from "./setup";
import { host, addresses, osl, database, inputs, create, scriptValue } from "./gtidMySqlFixtures";

// GtidMySql's operations: switchover, backups (and where the residency facts put them), teardown.

describe("GtidMySql", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
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
