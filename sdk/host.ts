import { InputProblems } from "./errors";
import { checkInterfaceName, checkPort } from "./validate";
import { DEFAULT_MESH } from "./wireguard";

/** One kernel setting the baseline applies; `module` is loaded first when the setting needs it. */
export interface SysctlSetting {
  readonly key: string;
  readonly value: string;
  readonly module?: string;
}

/**
 * The kernel tuning from the seeds. Each is skipped with a message where the kernel lacks it
 * (a container-based VPS, a test host), rather than failing the whole baseline.
 */
export const DEFAULT_SYSCTL: readonly SysctlSetting[] = [
  // The mesh and the CNI route between interfaces.
  { key: "net.ipv4.ip_forward", value: "1" },
  // Function invocations open many short connections; the default table overflows under load.
  { key: "net.netfilter.nf_conntrack_max", value: "131072", module: "nf_conntrack" },
  { key: "net.core.somaxconn", value: "65535" },
  { key: "net.ipv4.ip_local_port_range", value: "1024 65535" },
  // With ephemeral ports from 1024, keep the ports our services listen on out of that range:
  // etcd, MySQL, k3s API, flannel VXLAN, kubelet, MySQL X, WireGuard (its default port).
  {
    key: "net.ipv4.ip_local_reserved_ports",
    value: `2379-2380,3306,6443,8472,10250,33060,${DEFAULT_MESH.listenPort}`,
  },
  { key: "net.ipv4.tcp_tw_reuse", value: "1" },
  { key: "net.ipv4.tcp_fastopen", value: "3" },
  { key: "net.core.default_qdisc", value: "fq", module: "sch_fq" },
  { key: "net.ipv4.tcp_congestion_control", value: "bbr", module: "tcp_bbr" },
];

/** What every later component needs on a host; present packages are never reinstalled. */
export const BASELINE_PACKAGES: readonly string[] = [
  "ca-certificates",
  "curl",
  "gnupg",
  "iproute2",
  "kmod",
  "nftables",
  "procps",
];

/** Firewall baseline: default-deny inbound, with the SSH port always open. */
export interface FirewallSpec {
  readonly enabled: boolean;
  readonly sshPort: number;
  readonly tcpPorts: readonly number[];
  readonly udpPorts: readonly number[];
  readonly trustedInterfaces: readonly string[];
  /** How long a new ruleset stays on probation before it is rolled back unless confirmed. */
  readonly rollbackSeconds: number;
}

export interface HostBaselineSpec {
  readonly packages: readonly string[];
  readonly sysctl: readonly SysctlSetting[];
  readonly firewall: FirewallSpec;
}

/** The optional parts of a baseline a user sets; everything else has a default. */
export interface HostBaselineInput {
  readonly sshPort: number;
  readonly extraPackages?: readonly string[];
  readonly sysctl?: Readonly<Record<string, string>>;
  readonly firewall?: {
    readonly enabled?: boolean;
    readonly allowedTcpPorts?: readonly number[];
    readonly allowedUdpPorts?: readonly number[];
    readonly trustedInterfaces?: readonly string[];
    readonly rollbackSeconds?: number;
  };
}

const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;
const SYSCTL_KEY = /^[a-z0-9_-]+(\.[a-zA-Z0-9_-]+)+$/;
const SYSCTL_VALUE = /^[A-Za-z0-9 ,._:-]*$/;

/**
 * Validates and completes a host baseline. Problems are recorded against `pathPrefix` so the
 * message names the user's own property path.
 */
export function resolveHostBaseline(
  input: HostBaselineInput,
  problems: InputProblems,
  pathPrefix = "",
): HostBaselineSpec {
  const extra = input.extraPackages ?? [];
  extra.forEach((p, i) =>
    problems.check(
      PACKAGE_NAME.test(p),
      `${pathPrefix}extraPackages[${i}]`,
      `"${p}" is not a Debian package name (lower-case letters, digits, "+", "-", ".")`,
    ),
  );

  const overrides = input.sysctl ?? {};
  for (const [key, value] of Object.entries(overrides)) {
    problems.check(
      SYSCTL_KEY.test(key),
      `${pathPrefix}sysctl["${key}"]`,
      `"${key}" is not a sysctl key; use the dotted form such as "net.core.somaxconn"`,
    );
    problems.check(
      SYSCTL_VALUE.test(value),
      `${pathPrefix}sysctl["${key}"]`,
      `"${value}" is not a plain sysctl value (letters, digits, spaces, ",", ".", "_", ":", "-")`,
    );
  }
  const sysctl: SysctlSetting[] = DEFAULT_SYSCTL.map((s) =>
    s.key in overrides ? { ...s, value: overrides[s.key] } : s,
  );
  for (const [key, value] of Object.entries(overrides)) {
    if (!DEFAULT_SYSCTL.some((s) => s.key === key)) sysctl.push({ key, value });
  }

  const fw = input.firewall ?? {};
  const fwPath = `${pathPrefix}firewall`;
  const tcpPorts = fw.allowedTcpPorts ?? [];
  const udpPorts = fw.allowedUdpPorts ?? [];
  tcpPorts.forEach((p, i) => checkPort(problems, p, `${fwPath}.allowedTcpPorts[${i}]`));
  udpPorts.forEach((p, i) => checkPort(problems, p, `${fwPath}.allowedUdpPorts[${i}]`));
  const trusted = fw.trustedInterfaces ?? [];
  trusted.forEach((name, i) => checkInterfaceName(problems, name, `${fwPath}.trustedInterfaces[${i}]`));
  const rollbackSeconds = fw.rollbackSeconds ?? 120;
  problems.check(
    Number.isInteger(rollbackSeconds) && rollbackSeconds >= 30 && rollbackSeconds <= 3600,
    `${fwPath}.rollbackSeconds`,
    `${String(rollbackSeconds)} is out of range; use 30 to 3600 seconds`,
  );

  return {
    packages: unique([...BASELINE_PACKAGES, ...extra]),
    sysctl,
    firewall: {
      enabled: fw.enabled ?? true,
      sshPort: input.sshPort,
      tcpPorts: uniqueSorted(tcpPorts),
      udpPorts: uniqueSorted(udpPorts),
      trustedInterfaces: unique(trusted),
      rollbackSeconds,
    },
  };
}

/** `key=value` lines, one per setting, in the order given. */
export function renderSysctlSettings(settings: readonly SysctlSetting[]): string {
  return settings.map((s) => `${s.key}=${s.value}\n`).join("");
}

/** The kernel modules the settings need, once each. */
export function sysctlModules(settings: readonly SysctlSetting[]): string[] {
  return unique(settings.flatMap((s) => (s.module ? [s.module] : [])));
}

const nftSet = (name: string, type: string, elements: readonly (string | number)[]): string => {
  const items = elements.map((e) => (typeof e === "number" ? String(e) : `"${e}"`)).join(", ");
  return elements.length > 0
    ? `  set ${name} {\n    type ${type}\n    elements = { ${items} }\n  }\n`
    : `  set ${name} {\n    type ${type}\n  }\n`;
};

/**
 * The firewall as one nftables file, loaded atomically: it (re)creates only the `inet fortress`
 * table and leaves any other table alone. Established connections and the SSH port come first,
 * so the session that applies it survives. Other components add ports to the sets, and rules with
 * sets of source addresses to the `mesh_in` chain, through drop-in files in
 * /etc/fortress/firewall.d; they are always loaded with this file, as one transaction.
 */
export function renderFirewallRuleset(fw: FirewallSpec): string {
  const tcp = uniqueSorted([fw.sshPort, ...fw.tcpPorts]);
  return [
    "#!/usr/sbin/nft -f",
    "# Managed by Fortress (KvmNode baseline). Edits are overwritten.",
    "table inet fortress",
    "delete table inet fortress",
    "table inet fortress {",
    nftSet("tcp_ports", "inet_service", tcp) +
      nftSet("udp_ports", "inet_service", fw.udpPorts) +
      nftSet("trusted_ifaces", "ifname", fw.trustedInterfaces) +
      // The mesh interface (WireGuardMesh adds it): not trusted, its traffic goes through mesh_in,
      // where each component's drop-in allows its ports from the sources it names.
      nftSet("mesh_ifaces", "ifname", []) +
      "  chain mesh_in {\n  }\n" +
      "  chain input {",
    "    type filter hook input priority filter; policy drop;",
    "    ct state established,related accept",
    '    iif "lo" accept',
    "    tcp dport @tcp_ports accept",
    "    meta l4proto { icmp, ipv6-icmp } accept",
    "    udp dport 546 ip6 saddr fe80::/10 accept",
    "    iifname @trusted_ifaces accept",
    "    iifname @mesh_ifaces jump mesh_in",
    "    udp dport @udp_ports accept",
    "  }",
    "}",
    'include "/etc/fortress/firewall.d/*.nft"',
    "",
  ].join("\n");
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function uniqueSorted(items: readonly number[]): number[] {
  return unique(items).sort((a, b) => a - b);
}
