// The checks of a K3sCluster's settings that need no host: the component runs them on its args,
// the stack program on `fortress:k3s` before it registers any node (sdk/stackConfig.ts).
import { InputProblems } from "./errors";
import { checkK3sVersion } from "./k3s";
import { checkHost, checkKeys, expect } from "./validate";

/** The settings of `K3sClusterArgs.snapshots` besides the node. */
export const K3S_SNAPSHOT_KEYS = ["node", "schedule", "keep"];
/** Every 6 hours, on the servers; the backup node fetches every hour. */
export const DEFAULT_SNAPSHOT_SCHEDULE = "0 */6 * * *";
/** Snapshots the backup node keeps per server: a week at the default schedule. */
export const DEFAULT_SNAPSHOT_KEEP = 28;

/** What is checked, by node name: hosts are the component's (checkHostArgs), names the stack's. */
export interface K3sSettings {
  readonly servers: readonly string[];
  readonly agents: readonly string[];
  readonly version?: unknown;
  readonly mirror?: unknown;
  readonly disable?: unknown;
  readonly tlsSans?: unknown;
  readonly agentRestartBatch?: unknown;
  /** `snapshots` without its node (which each caller resolves), and the node's name. */
  readonly snapshots?: unknown;
  readonly snapshotNode?: string;
}

/** Where a setting is: `at("version")`, and a node of a role by position. */
export interface K3sPaths {
  readonly at: (key: string) => string;
  readonly node: (role: "servers" | "agents", index: number) => string;
}

// robfig/cron, which k3s schedules snapshots with: five fields, or a descriptor.
const CRON_FIELD = /^[0-9A-Za-z*/,?-]+$/;
const CRON_DESCRIPTOR = /^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \d+[smh](\d+[smh])*)$/;

function isCron(value: string): boolean {
  const fields = value.trim().split(/\s+/);
  return CRON_DESCRIPTOR.test(value) || (fields.length === 5 && fields.every((f) => CRON_FIELD.test(f)));
}

/** Records every problem of the settings under its path. */
export function checkK3sSettings(problems: InputProblems, s: K3sSettings, paths: K3sPaths): void {
  const { at } = paths;
  problems.check(s.servers.length > 0, at("servers"), "needs at least one server node");
  problems.check(
    s.servers.length <= 1 || s.servers.length % 2 === 1,
    at("servers"),
    `has ${s.servers.length} nodes; embedded etcd needs an odd number (1, 3, 5...) to keep a quorum through a failure`,
  );
  if (s.version !== undefined) checkK3sVersion(problems, s.version, at("version"));
  const seen = new Set<string>();
  const all = [
    ...s.servers.map((n, i) => ({ n, path: paths.node("servers", i) })),
    ...s.agents.map((n, i) => ({ n, path: paths.node("agents", i) })),
  ];
  for (const { n, path } of all) {
    problems.check(
      !seen.has(n),
      path,
      `"${n}" is in the cluster twice; a node is a server or an agent, once`,
    );
    seen.add(n);
  }
  if (expect.list(problems, s.tlsSans, at("tlsSans"), "names or addresses"))
    s.tlsSans.forEach(
      (san, i) =>
        expect.string(problems, san, at(`tlsSans[${i}]`), '"k8s.example.no"') &&
        checkHost(problems, san, at(`tlsSans[${i}]`)),
    );
  if (expect.list(problems, s.disable, at("disable"), 'packaged components such as "traefik"'))
    s.disable.forEach((d, i) => expect.string(problems, d, at(`disable[${i}]`), '"traefik"'));
  if (s.mirror !== undefined && checkKeys(problems, s.mirror, ["url"], at("mirror"), "mirror")) {
    const url = s.mirror.url;
    // Over plain http anyone on the path can swap the binary and the checksum file it is checked against.
    problems.check(
      typeof url === "string" && /^https:\/\/[^\s'"]+$/.test(url),
      at("mirror.url"),
      typeof url === "string" && url.startsWith("http://")
        ? `"${url}" is plain http, where the binaries and the checksums they are checked against can both be swapped on the way; serve the mirror over https, e.g. "https://mirror.example.no/k3s"`
        : `${JSON.stringify(url)} is not an https URL, e.g. "https://mirror.example.no/k3s"`,
    );
  }
  if (
    expect.number(
      problems,
      s.agentRestartBatch,
      at("agentRestartBatch"),
      "a whole number of agents, 1 or more",
    )
  )
    problems.check(
      Number.isInteger(s.agentRestartBatch) && s.agentRestartBatch >= 1,
      at("agentRestartBatch"),
      `${s.agentRestartBatch} is not a number of agents; use a whole number of 1 or more`,
    );
  checkSnapshots(problems, s, paths);
}

function checkSnapshots(problems: InputProblems, s: K3sSettings, { at }: K3sPaths): void {
  const snap = s.snapshots;
  if (snap === undefined || !checkKeys(problems, snap, K3S_SNAPSHOT_KEYS, at("snapshots"), "snapshots"))
    return;
  problems.check(
    s.servers.length !== 1,
    at("snapshots"),
    "needs embedded etcd, which runs on three servers or more; a single server keeps the cluster in SQLite (/var/lib/rancher/k3s/server/db), which etcd snapshots do not cover",
  );
  if (snap.node === undefined)
    problems.add(at("snapshots.node"), "is required: the node that keeps the snapshots");
  if (s.snapshotNode !== undefined)
    problems.check(
      !s.servers.includes(s.snapshotNode),
      at("snapshots.node"),
      `"${s.snapshotNode}" is a server; a snapshot kept next to the etcd it copies is lost with it: name another node`,
    );
  if (expect.string(problems, snap.schedule, at("snapshots.schedule"), `"${DEFAULT_SNAPSHOT_SCHEDULE}"`))
    problems.check(
      isCron(snap.schedule),
      at("snapshots.schedule"),
      `"${snap.schedule}" is not a cron schedule; use five fields such as "${DEFAULT_SNAPSHOT_SCHEDULE}" or "@daily"`,
    );
  if (
    expect.number(problems, snap.keep, at("snapshots.keep"), "how many snapshots to keep per server, e.g. 28")
  )
    problems.check(
      Number.isInteger(snap.keep) && snap.keep >= 1 && snap.keep <= 1000,
      at("snapshots.keep"),
      `${snap.keep} is not a number of snapshots; use a whole number from 1 to 1000`,
    );
}
