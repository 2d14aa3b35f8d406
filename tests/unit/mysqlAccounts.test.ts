// The primary's account step, run for real by bash against a stand-in for the `mysql`/`mariadb`
// client that keeps mysql.user in a JSON file and applies what the script sends. MySQL 8.0 cannot
// run on the offline lab, so this is how its flavour's account binding is proven; MariaDB's too,
// next to the lab test that runs it against a real server.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { renderReplicationScript } from "../../components/gtidMySql/scripts";
import { MySqlFlavour } from "../../sdk/mysql";

interface Account {
  user: string;
  host: string;
  auth: string;
  ssl: string;
  grant: string;
  repl: string;
}

/** The stand-in client: SELECTs the script asks answered from the file, account statements applied to it. */
const FAKE_CLIENT = `#!/usr/bin/env node
const fs = require("fs");
const file = process.env.FAKE_DB;
const db = JSON.parse(fs.readFileSync(file, "utf8"));
const sql = fs.readFileSync(0, "utf8");
fs.appendFileSync(file + ".log", sql + "\\n--\\n");
const out = [];
const q = (s) => s.replace(/\\s+/g, " ").trim();
if (/^SELECT 1$/.test(q(sql))) out.push("1");
let m;
if ((m = /SELECT PASSWORD\\('([^']*)'\\)/.exec(sql))) out.push("*HASH-" + m[1].length);
if ((m = /SELECT (authentication_string, )?ssl_type, Grant_priv, Repl_slave_priv FROM mysql.user WHERE User = '([^']+)' AND Host = '([^']+)'/.exec(q(sql)))) {
  const a = db.find((x) => x.user === m[2] && x.host === m[3]);
  if (a) out.push([...(m[1] ? [a.auth] : []), a.ssl, a.grant, a.repl].join("\\t"));
}
if ((m = /SHOW GRANTS FOR '([^']+)'@'([^']+)'/.exec(sql))) out.push("GRANT SELECT ON *.* TO x");
if ((m = /SELECT Host FROM mysql.user WHERE User = '([^']+)'/.exec(q(sql)))) {
  for (const a of db.filter((x) => x.user === m[1]).sort((x, y) => x.host.localeCompare(y.host))) out.push(a.host);
}
for (const s of sql.split(";").map(q)) {
  if ((m = /^CREATE USER IF NOT EXISTS '([^']+)'@'([^']+)' IDENTIFIED BY (PASSWORD )?'([^']+)' REQUIRE (\\w+)/.exec(s))) {
    if (!db.some((x) => x.user === m[1] && x.host === m[2]))
      db.push({ user: m[1], host: m[2], auth: m[4], ssl: m[5] === "SSL" ? "ANY" : "", grant: "N", repl: "N" });
  }
  if ((m = /^GRANT (.+) ON \\*\\.\\* TO '([^']+)'@'([^']+)'( WITH GRANT OPTION)?$/.exec(s))) {
    const a = db.find((x) => x.user === m[2] && x.host === m[3]);
    a.repl = "Y";
    if (m[4]) a.grant = "Y";
  }
  if ((m = /^DROP USER '([^']+)'@'([^']+)'$/.exec(s))) {
    db.splice(db.findIndex((x) => x.user === m[1] && x.host === m[2]), 1);
  }
}
fs.writeFileSync(file, JSON.stringify(db));
if (out.length) process.stdout.write(out.join("\\n") + "\\n");
`;

const ADMIN_PASSWORD = "adminPassword0123456789abcdefghij";
const REPL_PASSWORD = "replPassword0123456789abcdefghijk";
const HOSTS = { admin: ["10.100.0.1", "10.100.0.2"], replication: ["10.100.0.2", "10.100.0.3"] };

describe("the primary's account step, against a stand-in server", function () {
  // Every statement the script sends starts the stand-in client (node) anew: slow on a loaded machine.
  this.timeout(60000);
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-accounts-"));
    for (const client of ["mysql", "mariadb"]) {
      fs.writeFileSync(path.join(dir, client), FAKE_CLIENT, { mode: 0o755 });
    }
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  /** Runs the primary's step with its state folder and client in the temporary folder. */
  function run(flavour: MySqlFlavour, accounts: Account[], hosts = HOSTS) {
    const db = path.join(dir, "db.json");
    if (accounts.length > 0 || !fs.existsSync(db)) fs.writeFileSync(db, JSON.stringify(accounts));
    fs.rmSync(`${db}.log`, { force: true });
    const script = renderReplicationScript({ flavour, role: "primary", accountHosts: hosts })
      .replace("FORTRESS_STATE_DIR=/var/lib/fortress", `FORTRESS_STATE_DIR=${dir}/state`)
      .replace("[[ $(id -u) -eq 0 ]] ||", "true ||");
    const r = spawnSync("bash", ["-c", script], {
      input: `${ADMIN_PASSWORD}\n${REPL_PASSWORD}\n`,
      encoding: "utf8",
      env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, FAKE_DB: db },
    });
    assert.strictEqual(r.status, 0, r.stderr);
    return {
      stdout: r.stdout,
      stderr: r.stderr,
      sent: fs.readFileSync(`${db}.log`, "utf8"),
      accounts: (JSON.parse(fs.readFileSync(db, "utf8")) as Account[])
        .map((a) => `${a.user}@${a.host}`)
        .sort(),
    };
  }

  for (const flavour of [MySqlFlavour.Mysql80, MySqlFlavour.MariaDb]) {
    describe(flavour, () => {
      const old: Account[] = [
        { user: "fortress_admin", host: "%", auth: "x", ssl: "", grant: "Y", repl: "Y" },
        { user: "fortress_repl", host: "%", auth: "x", ssl: "ANY", grant: "N", repl: "Y" },
      ];

      it("moves '%' accounts to the bound hosts: the new ones first, then the '%' ones go", () => {
        const r = run(flavour, old);
        assert.match(r.stdout, /changed: admin-account replication-account/);
        assert.deepStrictEqual(r.accounts, [
          "fortress_admin@10.100.0.1",
          "fortress_admin@10.100.0.2",
          "fortress_repl@10.100.0.2",
          "fortress_repl@10.100.0.3",
        ]);
        const creates = r.sent.indexOf("CREATE USER IF NOT EXISTS 'fortress_repl'@'10.100.0.3'");
        const drop = r.sent.indexOf("DROP USER 'fortress_repl'@'%'");
        assert.ok(creates >= 0 && drop > creates, r.sent);
        assert.match(
          r.stderr,
          /dropping fortress_repl@'%': the account is bound to 10\.100\.0\.2 10\.100\.0\.3 now/,
        );
        assert.doesNotMatch(r.sent, new RegExp(`IDENTIFIED BY[^;]*'%'`));
      });

      it("changes nothing on a second run, and drops a replica's account when it leaves", () => {
        run(flavour, old);
        const again = run(flavour, []);
        assert.match(again.stdout, /changed: none/);
        assert.doesNotMatch(again.sent, /CREATE USER|ALTER USER|DROP USER|^GRANT /m);
        const fewer = run(flavour, [], { admin: HOSTS.admin, replication: ["10.100.0.2"] });
        assert.match(fewer.stdout, /changed: replication-account/);
        assert.deepStrictEqual(
          fewer.accounts.filter((a) => a.startsWith("fortress_repl")),
          ["fortress_repl@10.100.0.2"],
        );
      });

      it("never prints a password, not even in what it logs", () => {
        const r = run(flavour, old);
        for (const secret of [ADMIN_PASSWORD, REPL_PASSWORD]) {
          assert.ok(!r.stdout.includes(secret) && !r.stderr.includes(secret));
        }
        if (flavour === MySqlFlavour.MariaDb) {
          // MariaDB gets the hash, never the password, in statements that reach its binary log.
          assert.doesNotMatch(r.sent, new RegExp(`(CREATE|ALTER) USER[^;]*${ADMIN_PASSWORD}`));
        }
      });
    });
  }
});
