import * as assert from "assert";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql, GtidMySqlArgs } from "../../components/gtidMySql/gtidMySql";
import { HostArgs } from "../../components/host/hostArgs";
import { fakeCertificate, settle, valueOf } from "../../sdk/testing/mocks";
import { mocks, recordOptions } from "./setup";

// Fixtures of the GtidMySql specs: Fortress hosts with their mesh addresses, a database built and
// settled under the mocks, and readers of what its steps run.

export const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nbXlzcWwtdGVzdA==\n-----END OPENSSH PRIVATE KEY-----\n";
export const CONNECTION = { port: 22, user: "root", privateKey: KEY, dialErrorLimit: 10, perDialTimeout: 15 };

export function host(name: string, publicAddress: string, fleet = false, ready?: remote.Command): HostArgs {
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

export const addresses = {
  "osl-1": "10.100.0.1",
  "osl-2": "10.100.0.2",
  "osl-3": "10.100.0.3",
  "osl-4": "10.100.0.4",
  "fleet-1": "10.100.0.9",
};
export const osl = (n: number) => host(`osl-${n}`, `185.1.2.${n}`);

/** A stand-in for another component's command (a node's `ready`, a mesh step). */
export const step = (name: string) =>
  new remote.Command(name, { connection: { host: "185.1.2.9", ...CONNECTION }, create: "true" });

export async function database(name: string, args: Partial<GtidMySqlArgs> = {}): Promise<GtidMySql> {
  const full: GtidMySqlArgs = { primary: osl(1), replicas: [osl(2), osl(3)], addresses, ...args };
  const db = new GtidMySql(name, full, { transformations: [recordOptions] });
  await valueOf(db.primaryEndpoint);
  const nodes = [full.primary, ...(full.replicas ?? [])].map((h) => h.name);
  await Promise.all(nodes.map((n) => valueOf(db.readyOn(n).stdout)));
  await settle();
  return db;
}

export const inputs = (name: string) => mocks.named(name).inputs;
export const create = (name: string) => inputs(name).create as string;

/** The value a rendered script gives `NAME` (`NAME='...'`, with `'\''` for a quote). */
export function scriptValue(script: string, name: string): string {
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

export const MYSQL_PRIMARY_CNF = `# Managed by Fortress (GtidMySql). Edits are overwritten; options set here win over the
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

export const CERT = fakeCertificate;
