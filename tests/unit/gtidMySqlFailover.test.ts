// GtidMySql failover (the primary is gone): what the component registers, the checks of
// `failover`, and the shell helpers the promote and replication steps compare GTIDs with, run by
// real bash. The lab test (tests/lab/gtidMySqlFailover.lab.test.ts) runs it on MariaDB.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, GtidMySqlArgs } from "../../components/gtidMySql/gtidMySql";
import { renderConfigureScript, renderGuardScript } from "../../components/gtidMySql/scripts";
import { HostArgs } from "../../components/host/hostArgs";
import { MySqlFlavour, renderGuardUnit } from "../../sdk/mysql";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { dependsOnNames, mocks, recordOptions, registeredOptions } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nZmFpbG92ZXI=\n-----END OPENSSH PRIVATE KEY-----\n";
const CONNECTION = { port: 22, user: "root", privateKey: KEY, dialErrorLimit: 10, perDialTimeout: 15 };
const host = (name: string, fleet = false): HostArgs => ({
  name,
  connection: pulumi.secret({ host: `185.1.2.${name.slice(-1)}`, ...CONNECTION }),
  publicAddress: `185.1.2.${name.slice(-1)}`,
  placement: fleet
    ? { provider: "aws", region: "eu-north-1" }
    : { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" },
});
const osl = (n: number) => host(`osl-${n}`);
const addresses = {
  "osl-1": "10.100.0.1",
  "osl-2": "10.100.0.2",
  "osl-3": "10.100.0.3",
  "fleet-1": "10.100.0.9",
};

/** osl-1 was the primary and is gone: osl-2 takes over, osl-1 stays listed to rejoin later. */
async function failover(args: Partial<GtidMySqlArgs> = {}): Promise<GtidMySql> {
  const full: GtidMySqlArgs = {
    primary: osl(2),
    replicas: [osl(1), osl(3)],
    addresses,
    flavour: MySqlFlavour.MariaDb,
    failover: { from: "osl-1" },
    ...args,
  };
  const db = new GtidMySql("db", full, { transformations: [recordOptions] });
  await valueOf(db.primaryEndpoint);
  await Promise.all(["osl-2", "osl-3"].map((n) => valueOf(db.readyOn(n).stdout)));
  await settle();
  return db;
}
const create = (name: string) => mocks.named(name).inputs.create as string;
const commandsOn = (node: string) =>
  mocks
    .ofType("command:remote:Command")
    .map((r) => r.name)
    .filter((n) => n.startsWith(`db-${node}-`))
    .sort();

describe("GtidMySql failover (the primary is gone)", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  it("leaves every step of the gone primary as it was (inputs ignored), and makes no new one on it", async () => {
    await failover();
    // The steps it had as the primary, and no demote or replication step that would have to run there.
    assert.deepStrictEqual(commandsOn("osl-1"), [
      "db-osl-1-accounts",
      "db-osl-1-config",
      "db-osl-1-firewall",
      "db-osl-1-install",
      "db-osl-1-promote",
    ]);
    for (const name of commandsOn("osl-1")) {
      const ignored = registeredOptions.get(name)?.ignoreChanges ?? [];
      for (const input of ["connection", "create", "delete", "stdin", "triggers"])
        assert.ok(ignored.includes(input), `${name} does not ignore ${input}`);
      assert.deepStrictEqual(registeredOptions.get(name)?.dependsOn ?? [], [], `${name} waits for a step`);
      assert.match(create(name), /no step may run on it/);
    }
    // The steps of the reachable nodes are ordinary ones, and none of them waits for a step on osl-1.
    for (const n of ["osl-2", "osl-3"])
      for (const name of commandsOn(n)) {
        assert.strictEqual(registeredOptions.get(name)?.ignoreChanges, undefined, name);
        assert.ok(!(await dependsOnNames(name)).some((d) => d.startsWith("db-osl-1-")), name);
      }
  });

  it("promotes the named replica from the gone primary, comparing it with every reachable replica", async () => {
    await failover();
    const promote = create("db-osl-2-promote");
    assert.match(promote, /^FAILED='osl-1@10\.100\.0\.1'$/m);
    // Only osl-3 reported: osl-1 cannot be asked.
    assert.match(promote, /^DEMOTED='osl-3@10\.100\.0\.3='$/m);
    assert.match(promote, /^STOP_RECEIVING='STOP SLAVE IO_THREAD'$/m);
    assert.match(promote, /^RECEIVED_FIELD='Gtid_IO_Pos'$/m);
    assert.match(promote, /is further ahead than this server/);
    assert.deepStrictEqual(await dependsOnNames("db-osl-2-promote"), ["db-osl-2-install"]);
    // osl-3 reports afresh (a change of primary re-runs its demote step) and follows osl-2.
    assert.deepStrictEqual(mocks.named("db-osl-3-demote").inputs.triggers, ["osl-2", "osl-1"]);
    assert.match(create("db-osl-3-replication"), /^SOURCE_HOST='10\.100\.0\.2'$/m);
    assert.match(create("db-osl-3-replication"), /refuse_errant "\$replication_password"/);
    // The replication account of osl-2 is also bound to osl-1, which rejoins as a replica.
    assert.match(create("db-osl-2-accounts"), /^REPLICATION_HOSTS='10\.100\.0\.1 10\.100\.0\.3'$/m);
  });

  it("without failover, a primary whose source is no node of the database is refused by its promote step", async () => {
    const db = new GtidMySql(
      "db",
      { primary: osl(2), replicas: [osl(3)], addresses, flavour: MySqlFlavour.MariaDb },
      { transformations: [recordOptions] },
    );
    await valueOf(db.readyOn("osl-3").stdout);
    await settle();
    assert.match(create("db-osl-2-promote"), /^FAILED=''$/m);
    assert.match(create("db-osl-2-promote"), /follow the README's failover runbook if it is gone/);
  });

  it("checks failover before any host is touched, every problem with its path", () => {
    const cases: [Partial<GtidMySqlArgs>, string][] = [
      [
        { failover: { from: "osl-2" } },
        'failover.from: "osl-2" is the primary; name the primary that is gone',
      ],
      [{ replicas: [osl(3)] }, 'failover.from: "osl-1" is not among the replicas (osl-3); keep the primary'],
      [
        { failover: {} as { from: string } },
        "failover.from: is required: the name of the primary that is gone",
      ],
      [{ failover: { from: "Osl 1" } }, 'failover.from: "Osl 1" is not a node name'],
      [{ failover: { from: "osl-1", to: "osl-2" } as { from: string } }, "failover.to: "],
    ];
    for (const [args, message] of cases) {
      mocks.reset();
      assert.throws(
        () =>
          new GtidMySql("db", {
            primary: osl(2),
            replicas: [osl(1), osl(3)],
            addresses,
            failover: { from: "osl-1" },
            ...args,
          }),
        (e: Error) => e.message.includes(message) || assert.fail(`${message}\nnot in\n${e.message}`),
      );
      assert.deepStrictEqual(mocks.ofType("command:remote:Command"), []);
    }
  });

  it("refuses a failover to a replica the residency rules would not allow as primary", () => {
    assert.throws(
      () =>
        new GtidMySql("db", {
          primary: host("fleet-1", true),
          replicas: [osl(1), osl(3)],
          addresses,
          failover: { from: "osl-1" },
        }),
      /- primary: residency rule personal-data-location: MySQL primary "db" holds personal data on node "fleet-1"/,
    );
    assert.deepStrictEqual(mocks.ofType("command:remote:Command"), []);
  });
});

describe("GtidMySql fence: every server starts read-only, the guard lets the primary take writes", () => {
  it("installs the guard as a unit that runs after each start of the server, with the node's role", () => {
    const script = renderConfigureScript({
      flavour: MySqlFlavour.MariaDb,
      role: "primary",
      serverId: 7,
      bindAddress: "10.100.0.1",
      port: 3306,
      myCnf: "[mysqld]\nread_only = ON\n",
      caPem: "ca",
      certPem: "cert",
      meshInterface: "wg0",
      replicas: 2,
    });
    assert.match(script, /^ROLE='primary'$/m);
    assert.match(script, /^REPLICAS='2'$/m);
    assert.match(script, /^WRITABLE='SET GLOBAL read_only = OFF'$/m);
    assert.match(script, /^GUARD_UNIT_FILE='\/etc\/systemd\/system\/fortress-mysql-guard\.service'$/m);
    const unit = renderGuardUnit("mariadb");
    assert.match(unit, /^After=mariadb\.service$/m);
    assert.match(unit, /^PartOf=mariadb\.service$/m);
    assert.match(unit, /^WantedBy=mariadb\.service$/m);
    assert.match(unit, /^ExecStart=\/usr\/local\/lib\/fortress\/mysql-guard$/m);
    const guard = renderGuardScript(MySqlFlavour.Mysql84);
    assert.match(guard, /^WRITABLE='SET GLOBAL super_read_only = OFF; SET GLOBAL read_only = OFF'$/m);
    assert.match(guard, /COMMAND LIKE 'Binlog Dump%'/);
  });
});

describe("GTID comparison helpers (mysql-helpers.bash, run by bash)", () => {
  const helpers = path.join(__dirname, "../../components/gtidMySql/mysql-helpers.bash");
  const bash = (client: string, body: string, input = "") => {
    const r = spawnSync(
      "bash",
      ["-c", `set -euo pipefail; CLIENT=${client}; source "$1"; ${body}`, "x", helpers],
      {
        input,
        encoding: "utf8",
      },
    );
    assert.strictEqual(r.status, 0, r.stderr);
    return r.stdout.trim();
  };
  it("finds the MariaDB GTIDs one history has that the other lacks, per domain and server", () => {
    assert.ok(fs.existsSync(helpers));
    const errant = (mine: string, theirs: string) => bash("mariadb", `errant_gtids '${mine}' '${theirs}'`);
    assert.strictEqual(errant("0-1-100,0-2-50", "0-1-100,0-2-50,0-3-7"), "");
    assert.strictEqual(errant("0-1-99", "0-1-100,0-2-5"), "");
    // The old primary (server 1) wrote 0-1-101 and 0-1-102 that never reached the new one.
    assert.strictEqual(errant("0-1-102,0-2-50", "0-1-100,0-2-60,0-3-9"), "0-1-102");
    assert.strictEqual(errant("0-1-5,1-1-3", "0-1-5"), "1-1-3");
    assert.strictEqual(errant("", "0-1-5"), "");
    assert.strictEqual(errant("0-1-5", ""), "0-1-5");
  });
  it("reads a status field, a MySQL GTID set continued on the next lines included", () => {
    const status = [
      "*************************** 1. row ***************************",
      "             Source_Host: 10.100.0.1",
      "      Retrieved_Gtid_Set: 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,",
      "4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2",
      "       Executed_Gtid_Set: 3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5",
      "",
    ].join("\n");
    assert.strictEqual(
      bash("mysql", "status_value Retrieved_Gtid_Set", status),
      "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2",
    );
    assert.strictEqual(bash("mariadb", "status_value Source_Host", status), "10.100.0.1");
    assert.strictEqual(bash("mariadb", "status_value Gtid_IO_Pos", status), "");
  });
});
