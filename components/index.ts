export * from "./kvmNode/kvmNode";
export * from "./wireGuardMesh/wireGuardMesh";
export * from "./k3sCluster/k3sCluster";
