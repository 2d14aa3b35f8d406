import { MeshPortDeclaration } from "./zones";
import { InputProblems } from "./errors";

/** A k3s release as the project tags it: v1.31.4+k3s1 (the +k3sN suffix is required). */
export const K3S_VERSION = /^v1\.(\d{2,3})\.(\d{1,3})(-rc\d+)?\+k3s\d+$/;

export function checkK3sVersion(problems: InputProblems, version: string, propertyPath: string): boolean {
  return problems.check(
    K3S_VERSION.test(version),
    propertyPath,
    `"${version}" is not a k3s release; pin one such as "v1.31.4+k3s1" (see the k3s releases page)`,
  );
}

/** The role and join target of each node, in the order they are brought up and restarted. */
export interface K3sNodePlan {
  readonly name: string;
  readonly role: "server" | "agent";
  /** The first server of an HA cluster starts etcd (`cluster-init`); the others join it. */
  readonly clusterInit: boolean;
  /** The server this node joins, or none for the first server. */
  readonly joins?: string;
}

/**
 * Join order: the first server, then the other servers one by one (etcd takes one new member at
 * a time), then the agents. Config changes restart nodes in this same order, one at a time.
 */
export function planK3sJoin(servers: readonly string[], agents: readonly string[]): K3sNodePlan[] {
  const [first, ...others] = servers;
  const ha = servers.length > 1;
  return [
    { name: first, role: "server", clusterInit: ha },
    ...others.map((name) => ({ name, role: "server" as const, clusterInit: false, joins: first })),
    ...agents.map((name) => ({ name, role: "agent" as const, clusterInit: false, joins: first })),
  ];
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
}

type YamlValue = string | boolean | readonly string[];

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
  }
  return config;
}

/** Deterministic YAML: keys sorted, every string double-quoted (JSON strings are YAML strings). */
export function renderYaml(config: Readonly<Record<string, YamlValue>>): string {
  return Object.keys(config)
    .sort()
    .map((key) => {
      const value = config[key];
      if (typeof value === "boolean") return `${key}: ${value}\n`;
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
