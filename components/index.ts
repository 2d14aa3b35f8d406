export * from "./host/hostArgs";
export * from "./host/hostStep";
export * from "./kvmNode/kvmNode";
export * from "./wireGuardMesh/wireGuardMesh";
export * from "./k3sCluster/k3sCluster";
export * from "./openFaasPlatform/openFaasPlatform";
export * from "./argoBootstrap/argoBootstrap";
export * from "./gtidMySql/gtidMySql";
