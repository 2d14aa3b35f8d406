// Each component's residency facts, written once: which nodes it uses, what data it stores there,
// where that data flows and where a control plane runs. The component checks them when it is
// constructed and registers them as its `residency` output; the policy pack reads that output (or
// computes them from the component's inputs), the stack program computes them from config before
// it builds anything, and the residency report shows them.
import { InputProblems } from "../errors";
import { DataClass, DataFlow, DataStore, Deployment, ResidencyNode, Workload } from "./model";
import { Placement, checkPlacement, placementLabels } from "./placement";

/** What a component needs to know of a host for the rules: its name and where it runs. */
export interface HostPlacement {
  readonly name: string;
  readonly placement: Placement;
}

/** A host of a component as the rules see it; its placement problems recorded under `propertyPath`. */
function residencyNode(
  problems: InputProblems,
  host: HostPlacement,
  propertyPath: string,
): ResidencyNode | undefined {
  const resolved = checkPlacement(problems, host.placement, propertyPath);
  return resolved && { name: host.name, placement: resolved, labels: placementLabels(resolved) };
}

const nodesOf = (
  problems: InputProblems,
  hosts: readonly { host: HostPlacement; path: string }[],
): ResidencyNode[] => hosts.flatMap(({ host, path }) => residencyNode(problems, host, path) ?? []);

/** A KvmNode: one node and nothing on it yet. */
export function kvmNodeResidency(problems: InputProblems, name: string, placement: Placement): Deployment {
  return { nodes: nodesOf(problems, [{ host: { name, placement }, path: "placement" }]) };
}

/** The names K3sCluster gives its snapshot store and flows, shared with the stack's messages. */
export const k3sClusterNames = {
  snapshotStore: (cluster: string) => `${cluster}/etcd-snapshots`,
  snapshotFlow: (cluster: string, server: string) => `${cluster} etcd snapshots from ${server}`,
};

/**
 * A K3sCluster: its nodes, and a control plane (etcd holds every secret) on the servers; with
 * snapshots, the backup node holds a copy of etcd (sealed), fetched from every server over the mesh.
 */
export function k3sClusterResidency(
  problems: InputProblems,
  name: string,
  servers: readonly HostPlacement[],
  agents: readonly HostPlacement[],
  snapshots?: HostPlacement,
): Deployment {
  const members = [...servers, ...agents].map((h) => h.name);
  return {
    nodes: nodesOf(problems, [
      ...servers.map((host, i) => ({ host, path: `servers[${i}].placement` })),
      ...agents.map((host, i) => ({ host, path: `agents[${i}].placement` })),
      ...(snapshots && !members.includes(snapshots.name)
        ? [{ host: snapshots, path: "snapshots.node.placement" }]
        : []),
    ]),
    controlPlanes: [{ name, nodes: servers.map((s) => s.name), agents: agents.map((a) => a.name) }],
    ...(snapshots
      ? {
          dataStores: [
            {
              name: k3sClusterNames.snapshotStore(name),
              kind: "etcd snapshots",
              dataClass: DataClass.Special,
              nodes: [snapshots.name],
            },
          ],
          flows: servers.map((s) => ({
            name: k3sClusterNames.snapshotFlow(name, s.name),
            from: s.name,
            to: snapshots.name,
            dataClass: DataClass.Special,
            overMesh: true,
            encrypted: true,
          })),
        }
      : {}),
  };
}

/** The names GtidMySql gives its stores and flows, shared with the pack's messages. */
export const gtidMySqlNames = {
  replicaStore: (db: string, node: string) => `${db}/${node}`,
  replicationFlow: (db: string, node: string) => `${db} replication to ${node}`,
  backupStore: (db: string) => `${db}/backups`,
  backupFlow: (db: string, node: string) => `${db} backups to ${node}`,
};

/**
 * A GtidMySql: the primary's store, a store per replica, and a replication flow (over the mesh,
 * TLS) from the primary to each replica; with backups, the backup node holds the same data
 * (sealed) and is fed from the primary over the mesh.
 */
export function gtidMySqlResidency(
  problems: InputProblems,
  name: string,
  primary: HostPlacement,
  replicas: readonly HostPlacement[],
  dataClass: DataClass,
  backup?: HostPlacement,
): Deployment {
  const dataStores: DataStore[] = [
    { name, kind: "MySQL primary", dataClass, nodes: [primary.name] },
    ...replicas.map((r) => ({
      name: gtidMySqlNames.replicaStore(name, r.name),
      kind: "MySQL replica",
      dataClass,
      nodes: [r.name],
    })),
    ...(backup
      ? [{ name: gtidMySqlNames.backupStore(name), kind: "MySQL backups", dataClass, nodes: [backup.name] }]
      : []),
  ];
  const flows: DataFlow[] = [
    ...replicas.map((r) => ({ name: gtidMySqlNames.replicationFlow(name, r.name), to: r.name })),
    ...(backup ? [{ name: gtidMySqlNames.backupFlow(name, backup.name), to: backup.name }] : []),
  ].map((f) => ({ ...f, from: primary.name, dataClass, overMesh: true, encrypted: true }));
  const members = [primary.name, ...replicas.map((r) => r.name)];
  return {
    nodes: nodesOf(problems, [
      { host: primary, path: "primary.placement" },
      ...replicas.map((host, i) => ({ host, path: `replicas[${i}].placement` })),
      ...(backup && !members.includes(backup.name) ? [{ host: backup, path: "backup.node.placement" }] : []),
    ]),
    dataStores,
    flows,
  };
}

/**
 * Workloads in namespaces that the `PodNodeSelector` admission plugin pins to `nodeSelector`
 * (OpenFaaS's gateway and functions, Argo CD): the API server refuses any pod elsewhere.
 */
export function pinnedNamespacesResidency(
  namespaces: readonly { readonly name: string; readonly dataClass: DataClass }[],
  nodeSelector: Readonly<Record<string, string>>,
): Deployment {
  const workloads: Workload[] = namespaces.map((ns) => ({
    name: `namespace ${ns.name}`,
    dataClass: ns.dataClass,
    requiredNodeLabels: { ...nodeSelector },
  }));
  return { nodes: [], workloads };
}

/**
 * Several components' facts as one deployment. A node that two components name with the same
 * placement is one node; two different placements under one name stay two, for the unknown-node
 * rule to call ambiguous.
 */
export function mergeResidency(parts: readonly Deployment[]): Deployment {
  const nodes = new Map<string, ResidencyNode>();
  for (const n of parts.flatMap((p) => p.nodes)) {
    const key = `${n.name}\u0000${JSON.stringify(n.placement)}`;
    if (!nodes.has(key)) nodes.set(key, n);
  }
  return {
    nodes: [...nodes.values()],
    dataStores: parts.flatMap((p) => p.dataStores ?? []),
    workloads: parts.flatMap((p) => p.workloads ?? []),
    flows: parts.flatMap((p) => p.flows ?? []),
    controlPlanes: parts.flatMap((p) => p.controlPlanes ?? []),
  };
}
