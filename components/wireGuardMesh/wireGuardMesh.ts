import * as aws from "@pulumi/aws";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { InputProblems } from "../../sdk/errors";
import { combineOutput, combineRecord } from "../../sdk/outputs";
import { checkComponentName, checkKeys, expect } from "../../sdk/validate";
import {
  MeshContract,
  WIREGUARD_KEY,
  WIREGUARD_MESH_KEYS,
  assembleWireGuardConfig,
  byPeerName,
  checkMeshSettings,
  endpointOf,
  formatIpv4,
  renderPeerSection,
} from "../../sdk/wireguard";
import { CloudFirewall, HostArgs, checkHostArgs, hostsForState, markMeshStep } from "../host/hostArgs";
import { hostStep } from "../host/hostStep";
import {
  INTERFACE,
  KEY_FILE,
  renderApplyScript,
  renderKeyRemoveScript,
  renderKeygenScript,
  renderTeardownScript,
} from "./scripts";

export interface WireGuardMeshArgs {
  /** The hosts to join in a full mesh (`KvmNode.host()`). Each keeps its address when others come or go. */
  readonly nodes: HostArgs[];
  /** IPv4 range the addresses come from. Default `10.100.0.0/24`. Changing it renumbers every node. */
  readonly cidr?: string;
  /** Addresses pinned per node name (`{"osl-1": "10.100.0.1"}`); the others get a stable address from a hash of their name. */
  readonly addresses?: { [node: string]: string };
  /** UDP port every node listens on. Default 51820. */
  readonly listenPort?: number;
  /** Names of nodes behind NAT: every link of theirs sends keepalives, and they need no public endpoint. */
  readonly natNodes?: string[];
  /** Keepalive interval in seconds for links of nodes behind NAT. Default 25. */
  readonly persistentKeepalive?: number;
  /**
   * Key generation per node name (`{"osl-1": 1}`), default 0. Raising a node's number makes it a
   * new private key on the host; every peer learns the new public key through `wg syncconf`.
   * Replaces nothing.
   */
  readonly keyGenerations?: { [node: string]: number };
}

const NODE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

export { WIREGUARD_MESH_KEYS } from "../../sdk/wireguard";

/**
 * A WireGuard full mesh (`wg0`) over a set of hosts. Private keys are made on each host and never
 * leave it; configurations are rendered here as data and applied with `wg syncconf`, so a peer
 * added or removed never drops the tunnels that did not change.
 */
export class WireGuardMesh extends pulumi.ComponentResource {
  /** Mesh address of each node, by node name. */
  public readonly addresses: pulumi.Output<{ [node: string]: string }>;
  /** WireGuard public key of each node, by node name. */
  public readonly publicKeys: pulumi.Output<{ [node: string]: string }>;
  /** The peers (node names) of each node. */
  public readonly peers: pulumi.Output<{ [node: string]: string[] }>;
  /** The mesh range, e.g. `10.100.0.0/24`. */
  public readonly cidr: pulumi.Output<string>;
  /** The interface every node carries the mesh on: `wg0`. */
  public readonly interfaceName: pulumi.Output<string>;
  /** The UDP port every node listens on. */
  public readonly listenPort: pulumi.Output<number>;
  /** Interface and port, for what runs over the mesh (`K3sCluster` and `GtidMySql` take it as `mesh`). */
  public readonly contract: MeshContract;
  private readonly applied: Record<string, remote.Command> = {};

  constructor(name: string, args: WireGuardMeshArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fortress:index:WireGuardMesh", name, { ...args, nodes: hostsForState(args?.nodes) }, opts);

    const problems = new InputProblems();
    checkComponentName(problems, name, "WireGuardMesh");
    if (!checkKeys(problems, args, WIREGUARD_MESH_KEYS, "", "WireGuardMesh")) args = {} as WireGuardMeshArgs;
    const nodes = expect.list(problems, args.nodes, "nodes", "hosts (`node.host()` of each KvmNode)")
      ? args.nodes.filter((n, i) => checkHostArgs(problems, n, `nodes[${i}]`))
      : [];
    // One node is a mesh waiting for its peers: wg0 is there, so what runs over it needs no change later.
    problems.check(
      nodes.length >= 1,
      "nodes",
      "is empty; give the nodes to join (`node.host()` of each KvmNode)",
    );
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      if (
        !problems.check(
          NODE_NAME.test(n.name ?? ""),
          `nodes[${i}].name`,
          `${JSON.stringify(n.name)} is not a node name; use lower-case letters, digits and "-", starting with a letter`,
        )
      )
        return;
      problems.check(
        !seen.has(n.name),
        `nodes[${i}].name`,
        `"${n.name}" is in the mesh twice; each node joins once`,
      );
      seen.add(n.name);
    });
    const names = nodes.map((n) => n.name);
    const settings = checkMeshSettings(problems, args, names);
    problems.throwIfAny(`WireGuardMesh "${name}"`);
    const { network, listenPort, natNodes, keyGenerations, addresses } = settings;
    const keepalive = settings.persistentKeepalive;
    const prefix = network!.prefix;

    // 1. Each host makes its key, once; only the public key comes back.
    const publicKeys: Record<string, pulumi.Output<string>> = {};
    for (const node of nodes) {
      const keygen = hostStep(this, `${name}-${node.name}-key`, {
        host: node,
        run: {
          name: "fortress-wireguard-keygen",
          script: renderKeygenScript(keyGenerations[node.name] ?? 0),
        },
        onDelete: { name: "fortress-wireguard-keyremove", script: renderKeyRemoveScript() },
      });
      publicKeys[node.name] = keygen.stdout.apply((out) => {
        const key = out.trim().split("\n").pop() ?? "";
        if (!WIREGUARD_KEY.test(key)) {
          throw new pulumi.ResourceError(
            `node "${node.name}" returned no WireGuard public key: ${JSON.stringify(out)}`,
            this,
          );
        }
        return key;
      });
    }

    // Hosts cloned from one image may share a key; WireGuard would merge them into one peer.
    const distinctKeys = combineRecord(publicKeys).apply((keys) => {
      const byKey = new Map<string, string>();
      for (const [n, k] of Object.entries(keys)) {
        const other = byKey.get(k);
        if (other) {
          throw new pulumi.ResourceError(
            `nodes "${other}" and "${n}" have the same WireGuard key (a cloned host?); delete ${KEY_FILE} on one of them and run again`,
            this,
          );
        }
        byKey.set(k, n);
      }
      return keys;
    });

    // 2. Each host gets its configuration: every other node as a peer. The keys and endpoints are
    // resolved once for the whole mesh, not once per pair, so a mesh of n nodes costs O(n) outputs.
    const endpoints = combineRecord(Object.fromEntries(nodes.map((n) => [n.name, n.publicAddress])));
    const peerTable = combineOutput([distinctKeys, endpoints], (both) => both);
    // Each peer's section is rendered once for the whole mesh (twice where keepalives differ), not
    // once per node that has it: a node's configuration is its peers' sections joined.
    const inOrder = [...names].sort(byPeerName);
    const sections = peerTable.apply(([keys, hosts]) => {
      const section = (o: string, nat: boolean) =>
        renderPeerSection({
          name: o,
          publicKey: keys[o],
          address: addresses[o],
          // A node behind NAT cannot be dialled first; it dials out and keeps the mapping open.
          endpoint: natNodes.has(o) ? undefined : endpointOf(hosts[o], listenPort),
          persistentKeepalive: nat || natNodes.has(o) ? keepalive : undefined,
        });
      const fromPublic = Object.fromEntries(inOrder.map((o) => [o, section(o, false)]));
      const fromNat =
        natNodes.size > 0 ? Object.fromEntries(inOrder.map((o) => [o, section(o, true)])) : fromPublic;
      return { fromPublic, fromNat };
    });
    const peerNames: Record<string, string[]> = {};
    for (const node of nodes) {
      const others = inOrder.filter((o) => o !== node.name);
      peerNames[node.name] = [...others].sort();
      const self = { name: node.name, address: addresses[node.name], prefix, listenPort };
      const script = sections.apply(({ fromPublic, fromNat }) => {
        const table = natNodes.has(node.name) ? fromNat : fromPublic;
        const config = assembleWireGuardConfig(
          self,
          others.map((o) => table[o]),
        );
        return renderApplyScript(config, self.address, prefix, listenPort);
      });
      this.applied[node.name] = hostStep(this, `${name}-${node.name}-config`, {
        host: node,
        run: { name: "fortress-wireguard", script },
        onDelete: { name: "fortress-wireguard-teardown", script: renderTeardownScript() },
        // Peers reach a node behind a cloud firewall once its mesh port is open there.
        after: node.cloudFirewall
          ? this.openCloudFirewall(name, node.name, node.cloudFirewall, listenPort)
          : [],
      });
      markMeshStep(this.applied[node.name], node.name);
    }

    this.addresses = pulumi.output(addresses);
    this.publicKeys = distinctKeys;
    this.peers = pulumi.output(peerNames);
    this.cidr = pulumi.output(`${formatIpv4(network!.base)}/${prefix}`);
    this.contract = { interfaceName: INTERFACE, listenPort };
    this.interfaceName = pulumi.output(INTERFACE);
    this.listenPort = pulumi.output(listenPort);
    this.registerOutputs({
      addresses: this.addresses,
      publicKeys: this.publicKeys,
      peers: this.peers,
      cidr: this.cidr,
      interfaceName: this.interfaceName,
      listenPort: this.listenPort,
    });
  }

  /** The mesh port in a node's cloud firewall, from anywhere: WireGuard itself authenticates peers. */
  private openCloudFirewall(name: string, node: string, fw: CloudFirewall, port: number): pulumi.Resource[] {
    return (["ipv4", "ipv6"] as const).map(
      (family) =>
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-${node}-mesh-${family}`,
          {
            securityGroupId: fw.securityGroupId,
            description: "WireGuard mesh",
            ipProtocol: "udp",
            fromPort: port,
            toPort: port,
            ...(family === "ipv4" ? { cidrIpv4: "0.0.0.0/0" } : { cidrIpv6: "::/0" }),
            region: fw.region,
            tags: fw.tags,
          },
          { parent: this },
        ),
    );
  }

  /** The command that configured `node`'s mesh interface: depend on it to use the mesh there. */
  appliedOn(node: string): remote.Command {
    const c = this.applied[node];
    if (!c) throw new Error(`"${node}" is not a node of this mesh`);
    return c;
  }
}
