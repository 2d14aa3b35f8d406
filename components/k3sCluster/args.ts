import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { InputProblems } from "../../sdk/errors";
import { checkK3sSettings } from "../../sdk/k3sArgs";
import { ResidencyArgs } from "../../sdk/residency";
import { checkComponentName, checkKeys, expect } from "../../sdk/validate";
import { MeshContract, checkMeshContract } from "../../sdk/wireguard";
import { HostArgs, checkHostArgs } from "../host/hostArgs";

/** Air-gapped installation: everything from a host the user controls. */
export interface K3sMirrorArgs {
  /**
   * Base URL of the mirror. It serves `install.sh` (the upstream installer) and, per release,
   * `<version>/k3s` (`k3s-arm64`), `<version>/k3s-airgap-images-<arch>.tar.zst` and
   * `<version>/sha256sum-<arch>.txt`, as the k3s release page publishes them.
   */
  readonly url: string;
}

/** etcd snapshots, taken by k3s on every server and collected by a backup node. */
export interface K3sSnapshotArgs {
  /**
   * The node that collects and keeps them (`KvmNode.host()`, on the mesh), not a server. etcd
   * holds every Secret of the cluster: the residency rules must allow special-category data there.
   */
  readonly node: HostArgs;
  /** When k3s takes a snapshot, as cron (k3s's `etcd-snapshot-schedule-cron`). Default `0 *\/6 * * *`. */
  readonly schedule?: string;
  /** How many snapshots the backup node keeps per server (the newest). Default 28. */
  readonly keep?: number;
}

export interface K3sClusterArgs {
  /** Server nodes: one, or an odd number of three or more (embedded etcd). Only Fortress nodes. */
  readonly servers: HostArgs[];
  /** Agent nodes, anywhere; Fleet nodes are tainted so only workloads that tolerate it land there. */
  readonly agents?: HostArgs[];
  /** Mesh address of every node (`WireGuardMesh.addresses`): all cluster traffic uses it. */
  readonly addresses: pulumi.Input<{ [node: string]: pulumi.Input<string> }>;
  /** The mesh the cluster runs over (`WireGuardMesh.contract`): flannel uses its interface. Default: the default mesh (`wg0`). */
  readonly mesh?: MeshContract;
  /**
   * The steps that bring the mesh up (`mesh.appliedOn(node)` for each node): k3s starts after
   * them, while the binary installs need only each host's `ready` and run meanwhile. A node
   * waits for the mesh's step on itself and on the server it joins, not on every node; any other
   * step given here, every node waits for. Not needed when each host's `ready` already is its
   * mesh step (then the installs wait for the mesh too).
   */
  readonly meshReady?: remote.Command[];
  /**
   * The pinned k3s release. Default `v1.36.4+k3s1`. Changing it upgrades the cluster: servers one
   * at a time, then agents in batches, each Ready before the next; a downgrade or a skip of a
   * minor release is refused on the hosts before anything changes.
   */
  readonly version?: string;
  /** Install air-gapped from this mirror instead of the upstream installer. */
  readonly mirror?: K3sMirrorArgs;
  /** Packaged components to disable. Default `["traefik"]`, as in the seed. */
  readonly disable?: string[];
  /** Extra names or addresses for the API server certificate (the mesh and public addresses are always in). */
  readonly tlsSans?: string[];
  /** Where the program reaches the API: the kubeconfig points here. Default: the first server's public address. */
  readonly apiEndpoint?: pulumi.Input<string>;
  /**
   * How many agents may restart at once on a configuration change or an upgrade. Default: a fifth
   * of the agents, at least 1. Creating the cluster starts every agent at once regardless.
   */
  readonly agentRestartBatch?: number;
  /** etcd snapshots collected by a backup node. Default none (k3s keeps its own on each server). */
  readonly snapshots?: K3sSnapshotArgs;
  /** The residency policy the placement of the servers is checked against. */
  readonly residency?: ResidencyArgs;
}

/** Every setting of K3sClusterArgs: anything else is a typo to name. */
export const K3S_CLUSTER_KEYS = [
  "servers",
  "agents",
  "addresses",
  "mesh",
  "meshReady",
  "version",
  "mirror",
  "disable",
  "tlsSans",
  "apiEndpoint",
  "agentRestartBatch",
  "snapshots",
  "residency",
];

export interface CheckedK3sArgs {
  readonly args: K3sClusterArgs;
  readonly servers: HostArgs[];
  readonly agents: HostArgs[];
  readonly snapshotNode?: HostArgs;
  readonly meshInterface: string;
}

/** Every problem of the args, under its path; the host-free checks are sdk/k3sArgs.ts's. */
export function checkK3sClusterArgs(
  problems: InputProblems,
  name: string,
  raw: K3sClusterArgs,
): CheckedK3sArgs {
  checkComponentName(problems, name, "K3sCluster");
  const args = checkKeys(problems, raw, K3S_CLUSTER_KEYS, "", "K3sCluster") ? raw : ({} as K3sClusterArgs);
  const hostList = (key: "servers" | "agents") =>
    expect.list(problems, args[key], key, "hosts (`node.host()` of each KvmNode)")
      ? args[key].filter((h, i) => checkHostArgs(problems, h, `${key}[${i}]`))
      : [];
  const servers = hostList("servers");
  const agents = hostList("agents");
  const snap = args.snapshots as unknown as Record<string, unknown> | undefined;
  const snapshotNode =
    snap &&
    typeof snap === "object" &&
    snap.node !== undefined &&
    checkHostArgs(problems, snap.node, "snapshots.node")
      ? snap.node
      : undefined;
  checkK3sSettings(
    problems,
    {
      servers: servers.map((h) => h.name),
      agents: agents.map((h) => h.name),
      version: args.version,
      mirror: args.mirror,
      disable: args.disable,
      tlsSans: args.tlsSans,
      agentRestartBatch: args.agentRestartBatch,
      snapshots: args.snapshots,
      snapshotNode: snapshotNode?.name,
    },
    { at: (key) => key, node: (role, i) => `${role}[${i}].name` },
  );
  expect.map(
    problems,
    args.addresses,
    "addresses",
    "node names to mesh addresses (`WireGuardMesh.addresses`)",
  );
  const meshInterface = checkMeshContract(problems, args.mesh, "mesh").interfaceName;
  return { args, servers, agents, snapshotNode, meshInterface };
}
