import * as path from "path";
import { K3sNodePlan, restartSlotsManifest } from "../../sdk/k3s";
import { renderScriptFile } from "../../sdk/scripts/render";

/** Where each node keeps the join token (mode 0600); config.yaml only names the file. */
export const TOKEN_FILE = "/etc/rancher/k3s/token";
/** How long a restarted node may take to be ready before its configuration is rolled back. */
export const READY_TIMEOUT_SECONDS = 300;
/**
 * How long an agent's restart slot lasts unless freed: a run that dies holding one (its SSH
 * connection lost) blocks that slot for an hour at most; a node that did not come back keeps it
 * that long, so a roll that breaks nodes stops at `agentRestartBatch` of them.
 */
export const SLOT_LEASE_SECONDS = 3600;

const template = (name: string): string => path.join(__dirname, name);

export interface K3sInstallSource {
  readonly version: string;
  /** Air-gapped mirror base URL, or "" for the upstream installer. */
  readonly mirror: string;
  readonly installScriptUrl: string;
}

export function renderInstallScript(plan: K3sNodePlan, source: K3sInstallSource): string {
  return renderScriptFile(template("install.sh"), {
    VERSION: source.version,
    ROLE: plan.role,
    MIRROR: source.mirror,
    INSTALL_SCRIPT_URL: source.installScriptUrl,
  });
}

/** How a node restarts: the release it must run, and the agents' restart slots. */
export interface K3sRestartPolicy {
  readonly version: string;
  /** Servers, which agents wait for on an upgrade. */
  readonly servers: readonly string[];
  /** How many agents restart at once. */
  readonly slots: number;
  /** How many agents there are: an agent waits for a slot as long as every round before it may take. */
  readonly agents: number;
}

export function renderConfigureScript(
  plan: K3sNodePlan,
  configYaml: string,
  policy: K3sRestartPolicy,
): string {
  const rounds = Math.ceil(policy.agents / policy.slots) + policy.servers.length;
  return renderScriptFile(template("configure.sh"), {
    ROLE: plan.role,
    NODE_NAME: plan.name,
    VERSION: policy.version,
    CONFIG: configYaml,
    TOKEN_FILE,
    READY_TIMEOUT: READY_TIMEOUT_SECONDS,
    SLOTS: policy.slots,
    SLOT_LEASE: SLOT_LEASE_SECONDS,
    SLOT_TIMEOUT: rounds * READY_TIMEOUT_SECONDS,
    SERVERS: policy.servers.join(" "),
    MANIFEST: plan.role === "server" ? restartSlotsManifest() : "",
  });
}

export function renderKubeconfigScript(apiEndpoint: string): string {
  return renderScriptFile(template("kubeconfig.sh"), { API_ENDPOINT: apiEndpoint });
}

export function renderUninstallScript(plan: K3sNodePlan): string {
  return renderScriptFile(template("uninstall.sh"), { ROLE: plan.role });
}

/** Where the etcd snapshots go on their way to the backup node, and the account that fetches them. */
export const SNAPSHOT_ACCOUNT = "fortress-snapshots";
export const snapshotPaths = (cluster: string) => ({
  /** On each server: the account's home (its authorized key, the backup public key). */
  sourceConf: "/etc/fortress/k3s-snapshots",
  /** On each server: the sealed copies, the only files the account can read. */
  outbox: "/var/lib/fortress/k3s-snapshots-outbox",
  sourceUnit: `fortress-k3s-snapshot-${cluster}`,
  /** On the backup node: its SSH key and the server list; the snapshots, one folder per server. */
  targetConf: `/etc/fortress/k3s-snapshots-${cluster}`,
  dir: `/var/backups/fortress-k3s/${cluster}`,
  targetUnit: `fortress-k3s-snapshots-${cluster}`,
});

export interface SnapshotSource {
  readonly cluster: string;
  readonly snapshotDir: string;
  readonly publicKeyPem: string;
  /** The backup node's mesh address: the only one its key is accepted from. */
  readonly backupAddress: string;
  /** The backup node's SSH public key (`ssh-ed25519 AAAA...`). */
  readonly backupSshKey: string;
}

export function renderSnapshotOutboxScript(cluster: string, snapshotDir: string): string {
  const paths = snapshotPaths(cluster);
  return renderScriptFile(template("snapshot-outbox.sh"), {
    SNAPSHOT_DIR: snapshotDir,
    OUTBOX: paths.outbox,
    PUBLIC_KEY: `${paths.sourceConf}/public.pem`,
  });
}

export function renderSnapshotSourceScript(s: SnapshotSource): string {
  const paths = snapshotPaths(s.cluster);
  return renderScriptFile(template("snapshot-source.sh"), {
    NAME: s.cluster,
    ACCOUNT: SNAPSHOT_ACCOUNT,
    OUTBOX: paths.outbox,
    CONF_DIR: paths.sourceConf,
    PUBLIC_KEY: s.publicKeyPem,
    BACKUP_ADDRESS: s.backupAddress,
    BACKUP_SSH_KEY: s.backupSshKey,
    JOB: renderSnapshotOutboxScript(s.cluster, s.snapshotDir),
  });
}

/** One server the backup node fetches from. */
export interface SnapshotServer {
  readonly name: string;
  readonly meshAddress: string;
  readonly sshPort: number;
}

export function renderSnapshotFetchScript(cluster: string, keep: number): string {
  const paths = snapshotPaths(cluster);
  return renderScriptFile(template("snapshot-fetch.sh"), {
    DIR: paths.dir,
    CONF_DIR: paths.targetConf,
    ACCOUNT: SNAPSHOT_ACCOUNT,
    KEEP: keep,
  });
}

export function renderSnapshotTargetScript(
  cluster: string,
  servers: readonly SnapshotServer[],
  keep: number,
): string {
  const paths = snapshotPaths(cluster);
  return renderScriptFile(template("snapshot-target.sh"), {
    NAME: cluster,
    DIR: paths.dir,
    CONF_DIR: paths.targetConf,
    SOURCES: servers.map((s) => `${s.name} ${s.meshAddress} ${s.sshPort}\n`).join(""),
    JOB: renderSnapshotFetchScript(cluster, keep),
  });
}

export function renderSnapshotTeardownScript(cluster: string, side: "source" | "target"): string {
  const paths = snapshotPaths(cluster);
  return renderScriptFile(template("snapshot-teardown.sh"), {
    UNIT: side === "source" ? paths.sourceUnit : paths.targetUnit,
    CONF_DIR: side === "source" ? paths.sourceConf : paths.targetConf,
    ACCOUNT: side === "source" ? SNAPSHOT_ACCOUNT : "",
  });
}
