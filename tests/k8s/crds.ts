// The two CustomResourceDefinitions our objects need. Upstream they come with the charts (argo-cd
// ships Application, OpenFaaS's operator ships Function), which cannot be fetched here; these
// stand-ins declare a structural schema of the fields Fortress sets, with the upstream group,
// names and required fields, so the API server validates our objects field by field (unknown
// fields are refused under strict validation).
import { KubeObject } from "./cluster";

const str = { type: "string" };
const strMap = { type: "object", additionalProperties: { type: "string" } };
const amounts = { type: "object", properties: { cpu: str, memory: str } };

function crd(
  group: string,
  version: string,
  kind: string,
  plural: string,
  spec: Record<string, unknown>,
): KubeObject {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      scope: "Namespaced",
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: "object",
              required: ["spec"],
              properties: {
                apiVersion: str,
                kind: str,
                metadata: { type: "object" },
                spec,
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  };
}

/** argoproj.io/v1alpha1 Application: destination, project, source and syncPolicy. */
export const APPLICATION_CRD = crd("argoproj.io", "v1alpha1", "Application", "applications", {
  type: "object",
  required: ["destination", "project"],
  properties: {
    project: str,
    destination: { type: "object", properties: { server: str, namespace: str, name: str } },
    source: {
      type: "object",
      required: ["repoURL"],
      properties: { repoURL: str, path: str, targetRevision: str, chart: str },
    },
    syncPolicy: {
      type: "object",
      properties: {
        automated: {
          type: "object",
          properties: { prune: { type: "boolean" }, selfHeal: { type: "boolean" } },
        },
        syncOptions: { type: "array", items: str },
      },
    },
  },
});

/** openfaas.com/v1 Function: what the OpenFaaS operator reads. */
export const FUNCTION_CRD = crd("openfaas.com", "v1", "Function", "functions", {
  type: "object",
  required: ["name", "image"],
  properties: {
    name: str,
    image: str,
    handler: str,
    labels: strMap,
    annotations: strMap,
    environment: strMap,
    constraints: { type: "array", items: str },
    secrets: { type: "array", items: str },
    limits: amounts,
    requests: amounts,
    readOnlyRootFilesystem: { type: "boolean" },
  },
});
