import { createHash } from "crypto";
import * as net from "net";
import { InputProblems } from "./errors";
import { checkInterfaceName, checkKeys, checkPort, expect, isPrivateIpv4Range } from "./validate";

/** An IPv4 network the mesh takes its addresses from. */
export interface Ipv4Network {
  readonly base: number;
  readonly prefix: number;
  /** Usable host addresses: the network and broadcast addresses excluded. */
  readonly hostCount: number;
}

const toInt = (ip: string): number => ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
/** Dotted form of an IPv4 address held as a number. */
export const formatIpv4 = (n: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");

/** Parses an IPv4 CIDR whose prefix leaves room for at least two hosts. */
export function parseIpv4Cidr(
  cidr: string,
  problems: InputProblems,
  propertyPath: string,
): Ipv4Network | undefined {
  const [address, prefixText, ...rest] = cidr.split("/");
  const prefix = Number(prefixText);
  if (
    rest.length > 0 ||
    net.isIPv4(address ?? "") === false ||
    !/^\d{1,2}$/.test(prefixText ?? "") ||
    prefix > 32
  ) {
    problems.add(propertyPath, `"${cidr}" is not an IPv4 CIDR; use a private range such as "10.100.0.0/24"`);
    return undefined;
  }
  const size = 2 ** (32 - prefix);
  const base = toInt(address) - (toInt(address) % size);
  if (
    !problems.check(
      prefix <= 30,
      propertyPath,
      `"${cidr}" is too small for a mesh; use a prefix of /30 or shorter`,
    )
  ) {
    return undefined;
  }
  return { base, prefix, hostCount: size - 2 };
}

/**
 * A node's home address: a slot picked by a hash of its name alone, so no other node's presence
 * can move it. Adding or removing a node therefore never renumbers another.
 */
function homeSlot(name: string, network: Ipv4Network): number {
  const digest = createHash("sha256").update(name).digest();
  return 1 + (digest.readUInt32BE(0) % network.hostCount);
}

/**
 * Gives every node its mesh address: the pinned one when given, else its home slot. Two nodes on
 * one address is an error that names both and a free address to pin, never a silent renumbering.
 */
export function planMeshAddresses(
  names: readonly string[],
  network: Ipv4Network,
  pinned: Readonly<Record<string, string>>,
  problems: InputProblems,
  pathOf: (name: string) => string,
): Record<string, string> {
  const addresses: Record<string, string> = {};
  const owner = new Map<string, string>();
  const inRange = (n: number) => n > network.base && n < network.base + network.hostCount + 1;

  for (const name of Object.keys(pinned)) {
    if (!names.includes(name)) {
      problems.add(pathOf(name), `names no node of the mesh; nodes are ${names.join(", ")}`);
    }
  }
  // Pinned addresses first, so a hash slot can never take one a user chose.
  const ordered = [...names].sort(
    (a, b) => Number(!(a in pinned)) - Number(!(b in pinned)) || a.localeCompare(b),
  );
  for (const name of ordered) {
    let address: string;
    if (name in pinned) {
      address = pinned[name];
      const valid = net.isIPv4(address) && inRange(toInt(address));
      const first = formatIpv4(network.base + 1);
      const last = formatIpv4(network.base + network.hostCount);
      if (
        !problems.check(
          valid,
          pathOf(name),
          `"${address}" is not a host address of the mesh; use ${first} to ${last}`,
        )
      ) {
        continue;
      }
    } else {
      address = formatIpv4(network.base + homeSlot(name, network));
    }
    const taken = owner.get(address);
    if (taken !== undefined) {
      problems.add(
        pathOf(name),
        `node "${name}" would get ${address}, which node "${taken}" has; pin one of them to a free address, e.g. "${freeAddress(network, owner, names, pinned)}"`,
      );
      continue;
    }
    owner.set(address, name);
    addresses[name] = address;
  }
  return Object.fromEntries(names.filter((n) => n in addresses).map((n) => [n, addresses[n]]));
}

function freeAddress(
  network: Ipv4Network,
  owner: ReadonlyMap<string, string>,
  names: readonly string[],
  pinned: Readonly<Record<string, string>>,
): string {
  // Avoid the home slots of every node too, so the suggestion cannot collide later.
  const homes = new Set(
    names.filter((n) => !(n in pinned)).map((n) => formatIpv4(network.base + homeSlot(n, network))),
  );
  for (let slot = network.hostCount; slot >= 1; slot--) {
    const candidate = formatIpv4(network.base + slot);
    if (!owner.has(candidate) && !homes.has(candidate)) return candidate;
  }
  return "none left: use a larger cidr";
}

/** One peer in a node's WireGuard configuration. */
export interface MeshPeer {
  readonly name: string;
  readonly publicKey: string;
  readonly address: string;
  /** host:port, or none for a peer behind NAT that others cannot reach first. */
  readonly endpoint?: string;
  readonly persistentKeepalive?: number;
}

/** `host:port`, with brackets around an IPv6 host. */
export function endpointOf(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The order peers appear in a configuration: by name, so the text changes only when the mesh does. */
export const byPeerName = (a: string, b: string): number => a.localeCompare(b);

/**
 * The wg-quick configuration of one node, without its private key: the key never leaves the
 * host, the apply script adds it there. Peers sorted by name (`byPeerName`).
 */
export function renderWireGuardConfig(self: MeshSelf, peers: readonly MeshPeer[]): string {
  const sorted = [...peers].sort((a, b) => byPeerName(a.name, b.name));
  return assembleWireGuardConfig(self, sorted.map(renderPeerSection));
}

/** What a node's configuration says of the node itself. */
export interface MeshSelf {
  readonly name: string;
  readonly address: string;
  readonly prefix: number;
  readonly listenPort: number;
}

/** One peer's section of a configuration: a mesh renders each once, not once per node that has it. */
export function renderPeerSection(p: MeshPeer): string {
  return (
    `\n# ${p.name}\n[Peer]\nPublicKey = ${p.publicKey}\nAllowedIPs = ${p.address}/32\n` +
    (p.endpoint ? `Endpoint = ${p.endpoint}\n` : "") +
    (p.persistentKeepalive ? `PersistentKeepalive = ${p.persistentKeepalive}\n` : "")
  );
}

/** A node's configuration from its peers' sections (`renderPeerSection`), already in `byPeerName` order. */
export function assembleWireGuardConfig(self: MeshSelf, sections: readonly string[]): string {
  return [
    `# Managed by Fortress (WireGuardMesh), node ${self.name}. The apply script adds PrivateKey on the host.\n`,
    "[Interface]\n",
    `Address = ${self.address}/${self.prefix}\n`,
    `ListenPort = ${self.listenPort}\n`,
    ...sections,
  ].join("");
}

/** A WireGuard public key: 32 bytes, base64. */
export const WIREGUARD_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw480]=$/;

/**
 * What the mesh gives what runs over it (K3sCluster's flannel, GtidMySql's service order, KvmNode's
 * cloud firewall): its interface and port, from `WireGuardMesh.contract`, never retyped.
 */
export interface MeshContract {
  readonly interfaceName: string;
  readonly listenPort: number;
}

/** The mesh as the seeds set it up; the port is WireGuard's registered one. */
export const DEFAULT_MESH: MeshContract = { interfaceName: "wg0", listenPort: 51820 };

/** A mesh contract given to a component (`WireGuardMesh.contract`), checked; absent, the default mesh. */
export function checkMeshContract(problems: InputProblems, mesh: unknown, path: string): MeshContract {
  if (mesh === undefined) return DEFAULT_MESH;
  if (!checkKeys(problems, mesh, ["interfaceName", "listenPort"], path, "mesh")) return DEFAULT_MESH;
  const { interfaceName, listenPort } = mesh;
  if (expect.string(problems, interfaceName, `${path}.interfaceName`, '"wg0"'))
    checkInterfaceName(problems, interfaceName, `${path}.interfaceName`);
  if (expect.number(problems, listenPort, `${path}.listenPort`, "1 to 65535"))
    checkPort(problems, listenPort, `${path}.listenPort`);
  return {
    interfaceName: typeof interfaceName === "string" ? interfaceName : DEFAULT_MESH.interfaceName,
    listenPort: typeof listenPort === "number" ? listenPort : DEFAULT_MESH.listenPort,
  };
}

/** Every setting of WireGuardMeshArgs: anything else is a typo to name. */
export const WIREGUARD_MESH_KEYS = [
  "nodes",
  "cidr",
  "addresses",
  "listenPort",
  "natNodes",
  "persistentKeepalive",
  "keyGenerations",
];

/** The mesh range when none is given. */
export const DEFAULT_MESH_CIDR = "10.100.0.0/24";

/** WireGuardMesh's settings other than its hosts, as plain values (args, or stack config). */
export interface MeshSettingsInput {
  readonly cidr?: string;
  readonly addresses?: { readonly [node: string]: string };
  readonly listenPort?: number;
  readonly natNodes?: readonly string[];
  readonly persistentKeepalive?: number;
  readonly keyGenerations?: { readonly [node: string]: number };
}

/** What the settings resolve to; `network` is undefined when the range is bad. */
export interface MeshSettings {
  readonly cidr: string;
  readonly network?: Ipv4Network;
  readonly listenPort: number;
  readonly persistentKeepalive: number;
  readonly natNodes: ReadonlySet<string>;
  readonly keyGenerations: Readonly<Record<string, number>>;
  /** Each node's mesh address; planned only when nothing else is wrong. */
  readonly addresses: Record<string, string>;
}

/**
 * Checks the mesh's settings against the names of the nodes it joins: a private range with room
 * for them, the port, keepalive, NAT nodes and key generations naming nodes of the mesh, and the
 * address plan. The component checks its args with it, and the stack program its `fortress:mesh`
 * before it registers any node. Problems found earlier in `problems` hold back the address plan.
 */
export function checkMeshSettings(
  problems: InputProblems,
  args: MeshSettingsInput,
  names: readonly string[],
): MeshSettings {
  const known = new Set(names);
  const cidr = typeof args.cidr === "string" ? args.cidr : DEFAULT_MESH_CIDR;
  expect.string(problems, args.cidr, "cidr", `"${DEFAULT_MESH_CIDR}"`);
  const network = parseIpv4Cidr(cidr, problems, "cidr");
  // Mesh addresses on a public range would shadow real hosts there and leak traffic past the tunnel.
  if (network) {
    problems.check(
      isPrivateIpv4Range(cidr.split("/")[0], network.prefix),
      "cidr",
      `"${cidr}" is not a private range; use one inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10`,
    );
  }
  const listenPort = args.listenPort ?? DEFAULT_MESH.listenPort;
  checkPort(problems, listenPort, "listenPort");
  const keepalive = args.persistentKeepalive ?? 25;
  problems.check(
    Number.isInteger(keepalive) && keepalive >= 1 && keepalive <= 65535,
    "persistentKeepalive",
    `${keepalive} is out of range; use 1 to 65535 seconds (25 keeps most NAT mappings open)`,
  );
  const natList: unknown = args.natNodes;
  const natNodes = new Set<string>(
    expect.list(problems, natList, "natNodes", "node names") ? natList.map(String) : [],
  );
  for (const n of natNodes) problems.check(known.has(n), `natNodes`, `"${n}" is not a node of the mesh`);
  const keyGenerations = args.keyGenerations ?? {};
  for (const [n, g] of Object.entries(keyGenerations)) {
    problems.check(known.has(n), `keyGenerations["${n}"]`, `"${n}" is not a node of the mesh`);
    problems.check(
      Number.isInteger(g) && g >= 0 && g <= 1_000_000,
      `keyGenerations["${n}"]`,
      `${String(g)} is not a key generation; use a whole number from 0 (the first key) to 1000000`,
    );
  }
  if (network) {
    problems.check(
      network.hostCount >= names.length,
      "cidr",
      `"${cidr}" has room for ${network.hostCount} nodes, not ${names.length}; use a larger range`,
    );
  }
  const addresses =
    network && problems.list.length === 0
      ? planMeshAddresses(names, network, args.addresses ?? {}, problems, (n) => `addresses["${n}"]`)
      : {};
  return { cidr, network, listenPort, persistentKeepalive: keepalive, natNodes, keyGenerations, addresses };
}
