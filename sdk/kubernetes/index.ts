// Pure Kubernetes helpers for the components that run on a cluster, in three files: the cluster
// side (Norwegian nodes, namespaces, charts), resource quantities, and the fields of objects.
export * from "./cluster";
export * from "./fields";
export * from "./quantities";
