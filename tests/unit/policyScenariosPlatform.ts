// Scenarios for the platform and for volume claims (issue 12): OpenFaaS and Argo CD judged by the
// facts they register against the cluster's nodes, and PersistentVolumeClaims that no classified
// workload mounts, judged where their volume is provisioned or named for the advisory.
import { EngineResource } from "./packHarness";
import { Scenario, component, host, labels, osl, pod, requiredRegion } from "./policyScenarios";

const sto = host("sto-1", { country: "SE", provider: "safespring" });
const argoArgs = { repoUrl: "git@github.com:org/infra.git", path: "apps/prod" };
const cluster = (server: ReturnType<typeof host>) => component("K3sCluster", "k3s", { servers: [server] });

const claim = (
  name: string,
  cls: string | undefined,
  spec: Record<string, unknown> = {},
): EngineResource => ({
  type: "kubernetes:core/v1:PersistentVolumeClaim",
  name,
  inputs: {
    metadata: { name, ...(cls === undefined ? {} : labels(cls)) },
    spec: { accessModes: ["ReadWriteOnce"], ...spec },
  },
});
const regionTerm = (value: string) => ({
  nodeSelectorTerms: [{ matchExpressions: [{ key: "region", operator: "In", values: [value] }] }],
});
const storageClass = (name: string, region?: string): EngineResource => ({
  type: "kubernetes:storage.k8s.io/v1:StorageClass",
  name,
  inputs: {
    metadata: { name },
    provisioner: "rancher.io/local-path",
    volumeBindingMode: "Immediate",
    ...(region
      ? { allowedTopologies: [{ matchLabelExpressions: [{ key: "region", values: [region] }] }] }
      : {}),
  },
});
const volume = (name: string, region: string): EngineResource => ({
  type: "kubernetes:core/v1:PersistentVolume",
  name,
  inputs: {
    metadata: { name },
    spec: { capacity: { storage: "10Gi" }, nodeAffinity: { required: regionTerm(region) } },
  },
});
const mountedBy = (name: string, claimName: string, cls?: string, spec: Record<string, unknown> = {}) => ({
  type: "kubernetes:apps/v1:Deployment",
  name,
  inputs: {
    metadata: { name, ...(cls ? labels(cls) : {}) },
    spec: {
      template: {
        spec: pod({ volumes: [{ name: "data", persistentVolumeClaim: { claimName } }], ...spec }),
      },
    },
  },
});

export const PLATFORM_SCENARIOS: Scenario[] = [
  {
    name: "OpenFaaS in a cluster with no Norwegian node",
    violating: [cluster(sto), component("OpenFaasPlatform", "openfaas", {})],
    compliant: [cluster(osl(1)), component("OpenFaasPlatform", "openfaas", {})],
    config: { allowedCountries: ["NO", "SE"] },
  },
  {
    name: "OpenFaaS functions in a cluster with no Norwegian node",
    violating: [
      cluster(sto),
      component("OpenFaasPlatform", "faas", {
        functions: [{ name: "gdpr-handler", image: "r.example.no/h:1" }],
      }),
    ],
    compliant: [
      cluster(osl(2)),
      component("OpenFaasPlatform", "faas", {
        functions: [{ name: "gdpr-handler", image: "r.example.no/h:1" }],
      }),
    ],
    config: { allowedCountries: ["NO", "SE"] },
  },
  {
    name: "Argo CD and Sealed Secrets in a cluster with no Norwegian node",
    violating: [cluster(sto), component("ArgoBootstrap", "argo", argoArgs)],
    compliant: [cluster(osl(1)), component("ArgoBootstrap", "argo", argoArgs)],
    config: { allowedCountries: ["NO", "SE"] },
  },
  {
    name: "Argo CD without Sealed Secrets in a cluster with no Norwegian node",
    violating: [
      cluster(sto),
      component("ArgoBootstrap", "argo", { ...argoArgs, sealedSecrets: { enabled: false } }),
    ],
    compliant: [
      cluster(osl(1)),
      component("ArgoBootstrap", "argo", { ...argoArgs, sealedSecrets: { enabled: false } }),
    ],
    config: { allowedCountries: ["NO", "SE"] },
  },
  {
    name: "Unmounted claim with personal data and a StorageClass without topology",
    violating: [storageClass("local"), claim("exports", "personal", { storageClassName: "local" })],
    compliant: [storageClass("local", "no"), claim("exports", "personal", { storageClassName: "local" })],
  },
  {
    name: "Unmounted claim with personal data and no StorageClass in the program",
    violating: [claim("uploads", "personal", { storageClassName: "fast" })],
    compliant: [storageClass("fast", "no"), claim("uploads", "personal", { storageClassName: "fast" })],
  },
  {
    name: "Unmounted claim with health data bound to a volume on Fleet nodes",
    violating: [volume("pv-9", "global"), claim("journal", "special", { volumeName: "pv-9" })],
    compliant: [volume("pv-9", "no"), claim("journal", "special", { volumeName: "pv-9" })],
  },
  {
    name: "Unmounted claim with personal data and a StorageClass topology Fortress cannot verify",
    violating: [
      {
        ...storageClass("zonal"),
        inputs: {
          ...storageClass("zonal").inputs,
          allowedTopologies: [{ matchLabelExpressions: [{ key: "region", values: ["no", "global"] }] }],
        },
      },
      claim("ledger", "personal", { storageClassName: "zonal" }),
    ],
    compliant: [storageClass("zonal", "no"), claim("ledger", "personal", { storageClassName: "zonal" })],
  },
  {
    name: "Claim with an unknown data class",
    violating: [storageClass("local", "no"), claim("cache", "pii", { storageClassName: "local" })],
    compliant: [storageClass("local", "no"), claim("cache", "internal", { storageClassName: "local" })],
  },
  {
    name: "Claim with no data-class label, mounted by no workload",
    violating: [claim("scratch", undefined)],
    compliant: [claim("scratch", "internal")],
  },
  {
    name: "Claim with no data-class label, mounted only by an unclassified workload",
    violating: [claim("shared", undefined), mountedBy("worker", "shared")],
    compliant: [claim("shared", undefined), mountedBy("worker", "shared", "personal", requiredRegion("no"))],
  },
];
