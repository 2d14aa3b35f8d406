// Scenarios written for issue 12: Kubernetes objects classified on their pod template, their claims
// or their namespace, custom kinds with pod templates, and Fortress components as the engine
// gives them (args as inputs, registered facts as outputs).
import { EngineResource } from "./packHarness";
import {
  Scenario,
  component,
  host,
  labels,
  osl,
  pod,
  preferredRegion,
  requiredRegion,
} from "./policyScenarios";

const withTemplate = (
  type: string,
  name: string,
  templateLabels: Record<string, string>,
  spec: Record<string, unknown>,
  extra: Record<string, unknown> = {},
  namespace?: string,
): EngineResource => ({
  type: `kubernetes:${type}`,
  name,
  inputs: {
    metadata: { name, ...(namespace ? { namespace } : {}) },
    spec: { template: { metadata: { labels: templateLabels }, spec: pod(spec) }, ...extra },
  },
});
const classLabel = (cls: string) => labels(cls).labels;
const namespace = (name: string, selector?: string): EngineResource => ({
  type: "kubernetes:core/v1:Namespace",
  name,
  inputs: {
    metadata: {
      name,
      ...(selector ? { annotations: { "scheduler.alpha.kubernetes.io/node-selector": selector } } : {}),
    },
  },
});
const claim = (name: string, cls: string): EngineResource => ({
  type: "kubernetes:core/v1:PersistentVolumeClaim",
  name,
  inputs: { metadata: { name, ...labels(cls) }, spec: { accessModes: ["ReadWriteOnce"] } },
});
const mounting = (claimName: string) => ({
  volumes: [{ name: "data", persistentVolumeClaim: { claimName } }],
});
const hetzner = host("fsn-1", { country: "DE", provider: "hetzner", site: "Falkenstein" });
const safespring = host("sto-1", { country: "SE", provider: "safespring" });
const fleetFrankfurt = host("fleet-fra", { provider: "aws", region: "eu-central-1" });

export const KUBERNETES_SCENARIOS: Scenario[] = [
  {
    name: "Deployment labelled only on its pod template",
    violating: [withTemplate("apps/v1:Deployment", "billing", classLabel("personal"), {})],
    compliant: [withTemplate("apps/v1:Deployment", "billing", classLabel("personal"), requiredRegion("no"))],
  },
  {
    name: "StatefulSet whose volumeClaimTemplates carry the label",
    violating: [
      withTemplate("apps/v1:StatefulSet", "journal", {}, preferredRegion("no"), {
        volumeClaimTemplates: [{ metadata: { name: "data", ...labels("special") } }],
      }),
    ],
    compliant: [
      withTemplate("apps/v1:StatefulSet", "journal", {}, requiredRegion("no"), {
        volumeClaimTemplates: [{ metadata: { name: "data", ...labels("special") } }],
      }),
    ],
  },
  {
    name: "Deployment mounting a classified PersistentVolumeClaim",
    violating: [
      claim("cases", "special"),
      withTemplate("apps/v1:Deployment", "caseworker", {}, mounting("cases")),
    ],
    compliant: [
      claim("cases", "special"),
      withTemplate("apps/v1:Deployment", "caseworker", {}, { ...mounting("cases"), ...requiredRegion("no") }),
    ],
  },
  {
    name: "Argo Rollout (a custom resource) with personal data",
    violating: [withTemplate("argoproj.io/v1alpha1:Rollout", "checkout", classLabel("personal"), {})],
    compliant: [
      withTemplate("argoproj.io/v1alpha1:Rollout", "checkout", classLabel("personal"), requiredRegion("no")),
    ],
  },
  {
    name: "Workload in a namespace without a PodNodeSelector",
    violating: [
      namespace("fn"),
      withTemplate("apps/v1:Deployment", "gdpr-handler", classLabel("personal"), {}, {}, "fn"),
    ],
    compliant: [
      namespace("fn", "region=no"),
      withTemplate("apps/v1:Deployment", "gdpr-handler", classLabel("personal"), {}, {}, "fn"),
    ],
  },
  {
    name: "Namespace pinned to Fleet nodes",
    violating: [
      namespace("batch", "region=global"),
      withTemplate("apps/v1:Deployment", "exporter", classLabel("personal"), {}, {}, "batch"),
    ],
    compliant: [
      namespace("batch", "region=no"),
      withTemplate("apps/v1:Deployment", "exporter", classLabel("personal"), {}, {}, "batch"),
    ],
  },
  {
    name: "Pod template label with an unknown class",
    violating: [withTemplate("apps/v1:Deployment", "crm", classLabel("pii"), requiredRegion("no"))],
    compliant: [withTemplate("apps/v1:Deployment", "crm", classLabel("personal"), requiredRegion("no"))],
  },
  {
    name: "ReplicationController (an old kind) with personal data",
    violating: [withTemplate("core/v1:ReplicationController", "legacy", classLabel("personal"), {})],
    compliant: [
      withTemplate("core/v1:ReplicationController", "legacy", classLabel("personal"), requiredRegion("no")),
    ],
  },
  {
    name: "Job labelled on its template with only a preferred affinity",
    violating: [withTemplate("batch/v1:Job", "erase-user", classLabel("personal"), preferredRegion("no"))],
    compliant: [withTemplate("batch/v1:Job", "erase-user", classLabel("personal"), requiredRegion("no"))],
  },
  {
    name: "Deployment in a cluster with a Fleet agent in Frankfurt",
    violating: [
      component("K3sCluster", "k3s", { servers: [osl(1)], agents: [fleetFrankfurt] }),
      withTemplate("apps/v1:Deployment", "api", classLabel("personal"), {}),
    ],
    compliant: [
      component("K3sCluster", "k3s", { servers: [osl(1)], agents: [fleetFrankfurt] }),
      withTemplate("apps/v1:Deployment", "api", classLabel("personal"), requiredRegion("no")),
    ],
  },
  {
    name: "MySQL replica at Hetzner in Germany",
    violating: [component("GtidMySql", "db", { primary: osl(1), replicas: [hetzner] })],
    compliant: [component("GtidMySql", "db", { primary: osl(1), replicas: [osl(2)] })],
  },
  {
    name: "K3s server in Germany, Fleet agents allowed",
    violating: [component("K3sCluster", "k3s", { servers: [hetzner], agents: [fleetFrankfurt] })],
    compliant: [component("K3sCluster", "k3s", { servers: [osl(1)], agents: [fleetFrankfurt] })],
  },
  {
    name: "MySQL replica on AWS where the stack allows Sweden",
    violating: [
      component("GtidMySql", "db", {
        primary: osl(1),
        replicas: [host("fleet-sto", { provider: "aws", region: "eu-north-1" })],
        dataClass: "special",
      }),
    ],
    compliant: [
      component("GtidMySql", "db", { primary: osl(1), replicas: [safespring], dataClass: "special" }),
    ],
    config: { allowedCountries: ["NO", "SE"] },
  },
  {
    name: "K3s server at a provider outside the catalogue with a US seat",
    violating: [
      component("K3sCluster", "k3s", {
        servers: [host("acme-1", { country: "NO", provider: "acme", legalSeat: "US" })],
      }),
    ],
    compliant: [
      component("K3sCluster", "k3s", {
        servers: [host("acme-1", { country: "NO", provider: "acme", legalSeat: "NO" })],
      }),
    ],
  },
];
