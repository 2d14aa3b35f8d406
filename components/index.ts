export * from "./kvmNode/kvmNode";
export * from "./wireGuardMesh/wireGuardMesh";
