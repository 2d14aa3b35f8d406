// The MariaDB client the database lab tests share: SQL on a lab host as root over its socket, a
// replica's status, the test table, the admin account's option file for a client host, a writer
// that counts what was acknowledged and the check that all of it arrived, and polling until
// something holds.
import * as assert from "assert";
import { LabHost } from "./harness";

/** Polls `check` every 200 ms until it holds; returns the seconds it took, fails after `seconds`. */
export async function until(what: string, check: () => Promise<boolean>, seconds = 60): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > seconds * 1000) assert.fail(`${what} did not happen within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return (Date.now() - start) / 1000;
}

/** Where `adminClient` puts the admin account's option file (`--defaults-extra-file`). */
export const ADMIN_OPTIONS = "/root/lab-admin.cnf";

/** How a writer writes: for at most `seconds`, at most `max` rows, each attempt given up after `giveUpAfter` s. */
export interface WriterOptions {
  readonly seconds: number;
  readonly max?: number;
  /**
   * A write in flight when its host is killed gets neither a reply nor a reset: with this, it is
   * given up (not acknowledged) after so many seconds, as a client with a read timeout would.
   */
  readonly giveUpAfter?: number;
}

/** What a writer did: the numbers of its acknowledged rows and when each was (ms), its attempts. */
export interface WriterResult {
  readonly acked: number[];
  readonly at: number[];
  /** The rows it wrote or was writing when it stopped, acknowledged or not. */
  readonly written: number;
  /** Attempts that failed (and went to the next target). */
  readonly failures: number;
}

export interface MySqlClient {
  /** SQL as root over the host's socket: rows tab-separated, no column names, trimmed. */
  readonly sql: (name: string, statement: string) => Promise<string>;
  /** SHOW SLAVE STATUS as field to value; empty where the server replicates from nobody. */
  readonly slaveStatus: (name: string) => Promise<Record<string, string>>;
  /**
   * Gives the host the admin account's option file at ADMIN_OPTIONS (TLS, the server's
   * certificate verified against /etc/mysql/fortress/ca.pem), and that CA first when `caPem` is
   * given (a host that is no database member has none).
   */
  readonly adminClient: (name: string, password: string, caPem?: string) => Promise<void>;
  /** Creates fortress_lab.items on `name` with `rows` rows noted base-0, base-1, ... */
  readonly createItems: (name: string, rows: number) => Promise<void>;
  /**
   * Starts a writer on the host `on`, as the admin account (`adminClient` first): one row per
   * transaction, noted `tag-N`, as fast as it can, to whichever of `targets` (addresses) takes
   * writes; on an error it tries the next one. Each row whose COMMIT was acknowledged is recorded.
   */
  readonly startWriter: (on: string, tag: string, targets: string[], opts: WriterOptions) => Promise<void>;
  /** Stops the writer `tag` on `on` and returns what it did. */
  readonly stopWriter: (on: string, tag: string) => Promise<WriterResult>;
  /**
   * Asserts that every acknowledged row of the writer `tag` (notes `tag-N`) is on `name`, and
   * none twice; returns how many of the writer's rows are there.
   */
  readonly assertAllThere: (name: string, tag: string, acked: number[]) => Promise<number>;
}

/** The client for the hosts of a lab suite. */
export function mysqlClient(host: (name: string) => LabHost): MySqlClient {
  const sql = async (name: string, statement: string) =>
    (await host(name).exec("mariadb --batch --skip-column-names", { stdin: statement })).stdout.trim();
  return {
    sql,
    slaveStatus: async (name) => {
      const out = (await host(name).exec("mariadb --batch --vertical", { stdin: "SHOW SLAVE STATUS" }))
        .stdout;
      return Object.fromEntries(
        out
          .split("\n")
          .map((l) => /^\s*(\w+): (.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => m !== null)
          .map((m) => [m[1], m[2]]),
      );
    },
    adminClient: async (name, password, caPem) => {
      if (caPem !== undefined)
        await host(name).exec("install -d /etc/mysql/fortress && cat >/etc/mysql/fortress/ca.pem", {
          stdin: caPem,
        });
      await host(name).exec(`install -m 600 /dev/stdin ${ADMIN_OPTIONS}`, {
        stdin: `[client]\nuser=fortress_admin\npassword=${password}\nssl-ca=/etc/mysql/fortress/ca.pem\nssl-verify-server-cert\n`,
      });
    },
    createItems: async (name, rows) => {
      await sql(
        name,
        "CREATE DATABASE fortress_lab; CREATE TABLE fortress_lab.items (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(40));" +
          Array.from(
            { length: rows },
            (_, i) => `INSERT INTO fortress_lab.items (note) VALUES ('base-${i}');`,
          ).join(""),
      );
    },
    startWriter: async (on, tag, targets, { seconds, max, giveUpAfter }) => {
      const script = `
set -u
rm -f /root/${tag}.acked /root/${tag}.stop /root/${tag}.done
targets=(${targets.join(" ")})
t=0 failures=0 end=$((SECONDS + ${seconds}))
for ((i = 1; ${max === undefined ? "" : `i <= ${max} && `}SECONDS < end; i++)); do
  [[ -e /root/${tag}.stop ]] && break
  until ${giveUpAfter === undefined ? "" : `timeout ${giveUpAfter} `}mariadb --defaults-extra-file=${ADMIN_OPTIONS} -h "\${targets[t]}" --connect-timeout=2 \\
    -e "INSERT INTO fortress_lab.items (note) VALUES ('${tag}-$i')" 2>/dev/null; do
    failures=$((failures + 1)); t=$(((t + 1) % \${#targets[@]})); sleep 0.05
    [[ -e /root/${tag}.stop ]] && break 2
    ((SECONDS < end)) || break 2
  done
  echo "$i $EPOCHREALTIME" >>/root/${tag}.acked
done
echo "$((i - 1)) $failures" >/root/${tag}.done
`;
      await host(on).exec(`nohup bash -c "$(cat)" >/dev/null 2>&1 &`, { stdin: script });
    },
    stopWriter: async (on, tag) => {
      await host(on).exec(`touch /root/${tag}.stop`);
      await until(
        `the ${tag} writer stops`,
        async () => (await host(on).exec(`test -e /root/${tag}.done`, { check: false })).code === 0,
      );
      const acks = (await host(on).exec(`cat /root/${tag}.acked`)).stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ").map(Number));
      const [written, failures] = (await host(on).exec(`cat /root/${tag}.done`)).stdout
        .trim()
        .split(" ")
        .map(Number);
      return { acked: acks.map(([i]) => i), at: acks.map(([, t]) => t * 1000), written, failures };
    },
    assertAllThere: async (name, tag, acked) => {
      const found = (await sql(name, `SELECT note FROM fortress_lab.items WHERE note LIKE '${tag}-%'`))
        .split("\n")
        .filter((l) => l !== "");
      const have = new Set(found);
      const missing = acked.filter((i) => !have.has(`${tag}-${i}`));
      assert.deepStrictEqual(
        missing,
        [],
        `${name} lacks acknowledged rows ${missing.slice(0, 10).join(", ")}`,
      );
      assert.strictEqual(have.size, found.length, `${name} has a row twice`);
      return found.length;
    },
  };
}
