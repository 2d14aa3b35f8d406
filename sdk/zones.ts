// Zones on the mesh. A node that may hold personal data is in the Fortress, every other node in
// the Fleet (from the residency model, never from a provider's name). Each component declares the
// mesh ports it needs, on which of its nodes and from which; the zone rules then decide which
// sources stay: the Fleet reaches a Fortress node only where a declaration says so explicitly.
// Pure functions: the components render nftables drop-ins from them, the report its
// "who can reach what" section.
import * as net from "net";
import { canHoldData } from "./residency/compliance";
import { DataClass, ResidencyNode, ResidencyPolicy } from "./residency/model";

/** Which side of the mesh a node is on. */
export enum Zone {
  /** May hold personal data: Norwegian jurisdiction (or what the policy allows). */
  Fortress = "fortress",
  /** May not: burst compute on a hyperscaler, stateless. */
  Fleet = "fleet",
}

/** A node's zone, from the residency model: Fortress when it may hold personal data. */
export function zoneOf(node: ResidencyNode, policy: ResidencyPolicy): Zone {
  return canHoldData(node, DataClass.Personal, policy).ok ? Zone.Fortress : Zone.Fleet;
}

/** One port (or range) a component opens on the mesh, and to whom. */
export interface MeshPortDeclaration {
  /** Who declares it, e.g. `GtidMySql "db"`. */
  readonly component: string;
  /** Short name of what listens there, e.g. `mysql`, `k3s-api`. Lower-case letters, digits and "-". */
  readonly service: string;
  readonly protocol: "tcp" | "udp";
  /** First and last port (the same for one port). */
  readonly ports: readonly [number, number];
  /** The nodes it listens on. */
  readonly on: readonly string[];
  /** The nodes that may connect. */
  readonly from: readonly string[];
  /** Extra source ranges (IPv4 CIDRs or addresses), e.g. admin hosts; never a Fleet node's address. */
  readonly fromCidrs?: readonly string[];
  /**
   * The Fleet may reach it on Fortress nodes. Only what a component declares explicitly (the K3s
   * API, the CNI overlay); everything else on a Fortress node is closed to the Fleet.
   */
  readonly fleet: boolean;
}

/** A mesh node as the zone rules see it. */
export interface ZonedNode {
  readonly name: string;
  readonly zone: Zone;
  /** Its mesh address; unknown while planning a report. */
  readonly address?: string;
}

/** One allow rule on one node: the sources left after the zone rules. */
export interface MeshAllow {
  readonly declaration: MeshPortDeclaration;
  /** The node it is on. */
  readonly node: string;
  /** Source nodes allowed. */
  readonly from: readonly string[];
  /** Declared source nodes the zone rules refused (Fleet -> Fortress not declared for the Fleet). */
  readonly refused: readonly string[];
}

/**
 * The allow rules on `node`: every declaration that listens there, with the sources the zones
 * permit. A node never needs a rule for itself (its own traffic comes in on `lo`).
 */
export function meshAllowsOn(
  node: string,
  declarations: readonly MeshPortDeclaration[],
  zones: ReadonlyMap<string, Zone>,
): MeshAllow[] {
  const target = zones.get(node) ?? Zone.Fleet;
  return declarations
    .filter((d) => d.on.includes(node))
    .map((d) => {
      const sources = [...new Set(d.from)].filter((n) => n !== node).sort();
      const refused = sources.filter(
        (n) => target === Zone.Fortress && (zones.get(n) ?? Zone.Fleet) === Zone.Fleet && !d.fleet,
      );
      return { declaration: d, node, from: sources.filter((n) => !refused.includes(n)), refused };
    });
}

/** Where the drop-ins of the KvmNode firewall live (the baseline includes every `*.nft` there). */
export const FIREWALL_DROPIN_DIR = "/etc/fortress/firewall.d";

/** The drop-in file of one component on a node. */
export function meshDropInPath(kind: string, component: string): string {
  return `${FIREWALL_DROPIN_DIR}/20-${identifier(kind)}-${identifier(component)}.nft`.replace(/_/g, "-");
}

const identifier = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, "_");

/** The nft set of source addresses of one allow rule. */
export function meshSetName(component: string, service: string): string {
  return `mesh_${identifier(component)}_${identifier(service)}`;
}

/**
 * The drop-in for one component on one node: a set of source addresses per service (so a node
 * that comes or goes changes elements, not rules), and one rule per service in the baseline's
 * `mesh_in` chain, which only the mesh interface jumps to. It is loaded with the baseline's
 * ruleset as one transaction, so established connections never see a gap.
 */
export function renderMeshDropIn(
  component: string,
  allows: readonly MeshAllow[],
  addresses: Readonly<Record<string, string>>,
): string {
  const lines = [
    `# Managed by Fortress (${allows[0]?.declaration.component ?? component}): who may reach what on this node over the mesh.`,
  ];
  const sets: string[] = [];
  const rules: string[] = [];
  for (const a of [...allows].sort((x, y) => x.declaration.service.localeCompare(y.declaration.service))) {
    const d = a.declaration;
    const set = meshSetName(component, d.service);
    const sources = [
      ...new Set([
        ...a.from.map((n) => addresses[n]).filter((x): x is string => !!x),
        ...(d.fromCidrs ?? []),
      ]),
    ].sort();
    sets.push(
      `  set ${set} {`,
      "    type ipv4_addr",
      "    flags interval",
      // A range may cover a member's address; merged, rather than refused as an overlap.
      ...(sources.some((x) => x.includes("/")) ? ["    auto-merge"] : []),
      ...(sources.length > 0 ? [`    elements = { ${sources.join(", ")} }`] : []),
      "  }",
    );
    const ports = d.ports[0] === d.ports[1] ? `${d.ports[0]}` : `${d.ports[0]}-${d.ports[1]}`;
    rules.push(
      `add rule inet fortress mesh_in ip saddr @${set} ${d.protocol} dport ${ports} accept comment "${d.service}"`,
    );
  }
  if (sets.length > 0) lines.push("table inet fortress {", ...sets, "}", ...rules);
  return lines.join("\n") + "\n";
}

/**
 * Problems with extra source ranges: each must be an IPv4 address or CIDR, and none may contain a
 * Fleet node's mesh address when it opens a Fortress node (that would let the Fleet in by the back
 * door). Returns one message per problem.
 */
export function checkMeshSources(cidrs: readonly string[], nodes: readonly ZonedNode[]): string[] {
  const problems: string[] = [];
  for (const c of cidrs) {
    const range = parseRange(c);
    if (!range) {
      problems.push(`"${c}" is not an IPv4 address or CIDR such as "10.100.0.7" or "10.42.0.0/16"`);
      continue;
    }
    for (const n of nodes) {
      if (n.zone === Zone.Fleet && n.address && net.isIPv4(n.address) && inRange(n.address, range)) {
        problems.push(`"${c}" contains the mesh address of the Fleet node "${n.name}" (${n.address})`);
      }
    }
  }
  return problems;
}

const ipv4ToInt = (ip: string): number => ip.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);

function parseRange(c: string): { base: number; size: number } | undefined {
  const [address, prefixText, ...rest] = c.split("/");
  if (rest.length > 0 || !net.isIPv4(address ?? "")) return undefined;
  if (prefixText !== undefined && !/^\d{1,2}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? 32 : Number(prefixText);
  if (prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const value = ipv4ToInt(address);
  return { base: value - (value % size), size };
}

function inRange(ip: string, r: { base: number; size: number }): boolean {
  const v = ipv4ToInt(ip);
  return v >= r.base && v < r.base + r.size;
}

/** What the baseline's own ruleset lets in from anywhere, for the report. */
export interface PublicPorts {
  readonly tcp: readonly number[];
  readonly udp: readonly number[];
}

/**
 * The "who can reach what" section of the residency report: each node's zone, then for every
 * node what reaches it over the mesh (service, port, from which nodes), and what the zone rules
 * refused. Markdown; a table per node.
 */
export function reachabilityMarkdown(
  nodes: readonly ZonedNode[],
  declarations: readonly MeshPortDeclaration[],
): string {
  const zones = new Map(nodes.map((n) => [n.name, n.zone]));
  const out: string[] = [
    "## Who can reach what",
    "",
    "Over the mesh, each node accepts only what a component declares, per source node. A node that " +
      "may hold personal data is in the Fortress; every other node is in the Fleet, and reaches a " +
      "Fortress node only where a component opens a port for the Fleet explicitly. Anything else " +
      "from the mesh is dropped (ICMP and the ports a node opens to everyone aside).",
    "",
    "| node | zone |",
    "| --- | --- |",
    ...[...nodes].sort((a, b) => a.name.localeCompare(b.name)).map((n) => `| ${n.name} | ${n.zone} |`),
    "",
  ];
  for (const n of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) {
    const allows = meshAllowsOn(n.name, declarations, zones);
    out.push(`### ${n.name} (${n.zone})`, "");
    if (allows.length === 0) {
      out.push("Nothing on the mesh is open here.", "");
      continue;
    }
    out.push(
      "| port | service | declared by | from | refused by the zones |",
      "| --- | --- | --- | --- | --- |",
    );
    for (const a of allows) {
      const d = a.declaration;
      const ports = d.ports[0] === d.ports[1] ? `${d.ports[0]}` : `${d.ports[0]}-${d.ports[1]}`;
      const from = [...a.from, ...(d.fromCidrs ?? [])];
      out.push(
        `| ${ports}/${d.protocol} | ${d.service} | ${d.component} | ${from.length > 0 ? from.join(", ") : "nobody"} | ${
          a.refused.length > 0 ? a.refused.join(", ") : "-"
        } |`,
      );
    }
    out.push("");
  }
  return out.join("\n");
}
