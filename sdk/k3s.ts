import { MeshPortDeclaration } from "./zones";
import { InputProblems } from "./errors";

/** A k3s release as the project tags it: v1.36.4+k3s1 (the +k3sN suffix is required). */
export const K3S_VERSION = /^v1\.(\d{2,3})\.(\d{1,3})(-rc(\d+))?\+k3s(\d+)$/;

/**
 * The default pinned release, on a supported line. Checked 2026-12-02: Kubernetes 1.36 is supported
 * until 2027-06-28 (kubernetes.io/releases/1.36; 1.35 ends 2027-02-28, 1.34 ended 2026-10-27), and
 * k3s's stable channel moved to v1.36.4+k3s1 on 2026-08-27 (k3s-io/k3s pull 14553, the release of
 * pull 14545). v1.37.0+k3s1 exists (2026-09) but is not yet the stable channel.
 */
export const DEFAULT_K3S_VERSION = "v1.36.4+k3s1";

export function checkK3sVersion(problems: InputProblems, version: unknown, propertyPath: string): boolean {
  return problems.check(
    typeof version === "string" && K3S_VERSION.test(version),
    propertyPath,
    `${JSON.stringify(version)} is not a k3s release; pin one such as "${DEFAULT_K3S_VERSION}" (see the k3s releases page)`,
  );
}

/** A release as numbers, in upgrade order: minor, patch, release candidate (before the release), k3s build. */
export function k3sVersionKey(version: string): [number, number, number, number] | undefined {
  const m = K3S_VERSION.exec(version);
  if (!m) return undefined;
  const rc = m[4] === undefined ? Number.MAX_SAFE_INTEGER : Number(m[4]);
  return [Number(m[1]), Number(m[2]), rc, Number(m[5])];
}

/**
 * Why moving a node from `installed` to `target` is refused, or undefined when it is an upgrade
 * Kubernetes supports: no downgrade, and at most one minor version at a time (the version skew
 * policy: the API servers move one minor release at a time, kubelets never newer than them).
 * The install script makes the same decision on the host, from the version the host reports.
 */
export function k3sUpgradeProblem(installed: string, target: string): string | undefined {
  const from = k3sVersionKey(installed);
  const to = k3sVersionKey(target);
  if (!from || !to) return undefined;
  const order = from.findIndex((v, i) => v !== to[i]);
  if (order >= 0 && to[order] < from[order]) {
    return `${target} is older than the installed ${installed}; k3s cannot be downgraded in place (pin ${installed} or later)`;
  }
  if (to[0] > from[0] + 1) {
    return `${target} skips a minor version from the installed ${installed}; upgrade one minor version at a time (pin the newest v1.${from[0] + 1}.x release first)`;
  }
  return undefined;
}

/** The role and join target of each node, in the order they are brought up and restarted. */
export interface K3sNodePlan {
  readonly name: string;
  readonly role: "server" | "agent";
  /** The first server of an HA cluster starts etcd (`cluster-init`); the others join it. */
  readonly clusterInit: boolean;
  /** The server this node joins, or none for the first server. */
  readonly joins?: string;
  /**
   * The node whose start (configure step) this node's start waits for: each server after the one
   * before it (etcd takes one new member at a time), every agent after the first server only.
   */
  readonly after?: string;
}

/**
 * Join plan: the first server, then the other servers one by one, then every agent at once as
 * soon as the first server answers (an agent needs one reachable API server, not all of them).
 * Servers restart in the same order; agents restart in bounded batches (configure.sh).
 */
export function planK3sJoin(servers: readonly string[], agents: readonly string[]): K3sNodePlan[] {
  const [first, ...others] = servers;
  const ha = servers.length > 1;
  return [
    { name: first, role: "server", clusterInit: ha },
    ...others.map((name, i) => ({
      name,
      role: "server" as const,
      clusterInit: false,
      joins: first,
      after: servers[i],
    })),
    ...agents.map((name) => ({
      name,
      role: "agent" as const,
      clusterInit: false,
      joins: first,
      after: first,
    })),
  ];
}

/**
 * How many agents may restart at once on a config change or an upgrade, by default: a fifth of
 * them, at least one. A fifth keeps 80% of the agents' capacity serving during a roll (Kubernetes'
 * own default for a Deployment's maxUnavailable is a quarter), and bounds a roll of 100 agents to
 * five rounds instead of a hundred.
 */
export function defaultAgentRestartBatch(agents: number): number {
  return Math.max(1, Math.floor(agents / 5));
}

/** The values a node's /etc/rancher/k3s/config.yaml is made of. */
export interface K3sNodeSettings {
  readonly plan: K3sNodePlan;
  readonly meshAddress: string;
  /** Mesh address of the server it joins. */
  readonly joinAddress?: string;
  readonly publicAddress: string;
  readonly meshInterface: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly taints: readonly string[];
  readonly tlsSans: readonly string[];
  readonly disable: readonly string[];
  readonly tokenFile: string;
  /** etcd snapshots on this server (servers of an HA cluster with `snapshots`). */
  readonly snapshots?: { readonly schedule: string };
}

/** Where every server writes its etcd snapshots (k3s's own default, named so the collector agrees). */
export const K3S_SNAPSHOT_DIR = "/var/lib/rancher/k3s/server/db/snapshots";
/** Snapshots each server keeps itself; the backup node keeps `snapshots.keep` of them. */
export const K3S_SNAPSHOT_RETENTION = 5;

type YamlValue = string | number | boolean | readonly string[];

/**
 * The k3s configuration of one node as data. Everything crosses the mesh: the node IP and the
 * flannel interface are the mesh's; the token is only a file reference, never a value.
 */
export function k3sConfig(s: K3sNodeSettings): Record<string, YamlValue> {
  const labels = Object.entries(s.labels)
    .map(([k, v]) => `${k}=${v}`)
    .sort();
  const config: Record<string, YamlValue> = {
    "node-name": s.plan.name,
    "node-ip": s.meshAddress,
    "node-external-ip": s.publicAddress,
    "flannel-iface": s.meshInterface,
    "token-file": s.tokenFile,
    "node-label": labels,
  };
  if (s.taints.length > 0) config["node-taint"] = [...s.taints].sort();
  if (s.plan.joins) config.server = `https://${s.joinAddress}:6443`;
  if (s.plan.role === "server") {
    if (s.plan.clusterInit) config["cluster-init"] = true;
    config["advertise-address"] = s.meshAddress;
    config["tls-san"] = [...new Set(s.tlsSans)].sort();
    if (s.disable.length > 0) config.disable = [...s.disable].sort();
    // A namespace annotation can then force its pods onto Norwegian nodes, enforced by the API server.
    config["kube-apiserver-arg"] = ["enable-admission-plugins=NodeRestriction,PodNodeSelector"];
    config["secrets-encryption"] = true;
    config["write-kubeconfig-mode"] = "0600";
    if (s.snapshots) {
      // k3s's own scheduler takes them; the backup node collects them from this folder.
      config["etcd-snapshot-schedule-cron"] = s.snapshots.schedule;
      config["etcd-snapshot-retention"] = K3S_SNAPSHOT_RETENTION;
      config["etcd-snapshot-dir"] = K3S_SNAPSHOT_DIR;
      config["etcd-snapshot-compress"] = true;
    }
  }
  return config;
}

/** Deterministic YAML: keys sorted, every string double-quoted (JSON strings are YAML strings). */
export function renderYaml(config: Readonly<Record<string, YamlValue>>): string {
  return Object.keys(config)
    .sort()
    .map((key) => {
      const value = config[key];
      if (typeof value === "boolean" || typeof value === "number") return `${key}: ${value}\n`;
      if (typeof value === "string") return `${key}: ${JSON.stringify(value)}\n`;
      return `${key}:\n${value.map((v) => `  - ${JSON.stringify(v)}\n`).join("")}`;
    })
    .join("");
}

/** The ports k3s listens on over the mesh. flannel's default backend (vxlan) is what k3sConfig leaves in place. */
export const K3S_PORTS = Object.freeze({
  API: 6443,
  FLANNEL_VXLAN: 8472,
  KUBELET: 10250,
  ETCD_CLIENT: 2379,
  ETCD_PEER: 2380,
});

/**
 * What a cluster opens on the mesh. The Fleet reaches only the API server (agents register and
 * watch there) and the CNI overlay (flannel's VXLAN carries pod traffic between all nodes); the
 * kubelet only from the servers (logs, exec, metrics go through the API server); embedded etcd
 * (HA, three or more servers) only between the servers.
 */
export function k3sMeshPorts(
  component: string,
  servers: readonly string[],
  agents: readonly string[],
): MeshPortDeclaration[] {
  const all = [...servers, ...agents];
  const p = K3S_PORTS;
  const declarations: MeshPortDeclaration[] = [
    {
      component,
      service: "k3s-api",
      protocol: "tcp",
      ports: [p.API, p.API],
      on: servers,
      from: all,
      fleet: true,
    },
    {
      component,
      service: "flannel-vxlan",
      protocol: "udp",
      ports: [p.FLANNEL_VXLAN, p.FLANNEL_VXLAN],
      on: all,
      from: all,
      fleet: true,
    },
    {
      component,
      service: "kubelet",
      protocol: "tcp",
      ports: [p.KUBELET, p.KUBELET],
      on: all,
      from: servers,
      fleet: false,
    },
  ];
  if (servers.length > 1) {
    declarations.push({
      component,
      service: "etcd",
      protocol: "tcp",
      ports: [p.ETCD_CLIENT, p.ETCD_PEER],
      on: servers,
      from: servers,
      fleet: false,
    });
  }
  return declarations;
}

/** The namespace of the agents' restart slots (ConfigMaps); a node may take and free them, nothing else. */
export const RESTART_SLOT_NAMESPACE = "fortress-system";

/**
 * What the servers put in k3s's manifests folder: the namespace of the restart slots, and the
 * right of every node (group `system:nodes`, the kubelets' credentials) to take and free a
 * ConfigMap there. A node can do nothing else with it: no other namespace, no other kind. (Not a
 * Lease: the NodeRestriction admission plugin refuses a node any Lease but its own node lease.)
 */
export function restartSlotsManifest(): string {
  const ns = RESTART_SLOT_NAMESPACE;
  return [
    "apiVersion: v1",
    "kind: Namespace",
    "metadata:",
    `  name: ${ns}`,
    "---",
    "apiVersion: rbac.authorization.k8s.io/v1",
    "kind: Role",
    "metadata:",
    "  name: fortress-restart-slots",
    `  namespace: ${ns}`,
    "rules:",
    '  - apiGroups: [""]',
    "    resources: [configmaps]",
    "    verbs: [get, create, update, delete]",
    "---",
    "apiVersion: rbac.authorization.k8s.io/v1",
    "kind: RoleBinding",
    "metadata:",
    "  name: fortress-restart-slots",
    `  namespace: ${ns}`,
    "roleRef:",
    "  apiGroup: rbac.authorization.k8s.io",
    "  kind: Role",
    "  name: fortress-restart-slots",
    "subjects:",
    "  - apiGroup: rbac.authorization.k8s.io",
    "    kind: Group",
    "    name: system:nodes",
    "",
  ].join("\n");
}
