export * from "./kvmNode/kvmNode";
