// The workloads whose placement the real scheduler decides and the policy pack judges: required
// against preferred affinity, labels on the object against labels on the pod template only,
// StatefulSets with claim templates, Deployments in pinned and unpinned namespaces.
import { DATA_CLASS_LABEL } from "../../sdk/policy/facts";
import { KubeObject } from "./cluster";

export type Affinity =
  | "none"
  | "required-no" // requiredDuringScheduling region In [no]
  | "selector-no" // nodeSelector region=no
  | "preferred-no" // preferredDuringScheduling region In [no] only
  | "required-no-or-global" // one term, region In [no, global]
  | "required-two-terms" // two terms: region=no, or region=global
  | "required-notin-global"; // region NotIn [global]

export interface WorkloadCase {
  readonly name: string;
  readonly kind: "Deployment" | "StatefulSet" | "DaemonSet" | "Job";
  readonly namespace: string;
  /** fortress.io/data-class on the object's own metadata. */
  readonly objectClass?: string;
  /** fortress.io/data-class on the pod template only (what the pods carry). */
  readonly templateClass?: string;
  readonly affinity: Affinity;
  /** Tolerates the Fleet taint, so only affinity and admission keep it off Fleet nodes. */
  readonly toleratesFleet: boolean;
  /** A volumeClaimTemplate (StatefulSet) on the local storage class. */
  readonly claim?: boolean;
  /** Issue 12 (the pack judging by classification, pod-template labels included) fixes this row. */
  readonly issue12?: string;
}

/** Namespaces the table uses that the platform does not create: one with no node selector. */
export const ROAMING_NAMESPACE = "fortress-roam";
export const STORAGE_CLASS = "fortress-local";
export const ROW_LABEL = "fortress.io/test-row";

/** The rows; namespaces `openfaas-fn` and `argocd` carry the platform's node-selector annotation. */
export function workloadCases(pinned: { functions: string; argo: string }): WorkloadCase[] {
  const roam = ROAMING_NAMESPACE;
  return [
    {
      name: "dep-personal-required",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "required-no",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-selector",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "selector-no",
      toleratesFleet: true,
    },
    {
      name: "dep-special-required",
      kind: "Deployment",
      namespace: roam,
      objectClass: "special",
      affinity: "required-no",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-preferred",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "preferred-no",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-none-tolerates",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "none",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-none-untolerated",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "none",
      toleratesFleet: false,
    },
    {
      name: "dep-personal-no-or-global",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "required-no-or-global",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-two-terms",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "required-two-terms",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-notin-global",
      kind: "Deployment",
      namespace: roam,
      objectClass: "personal",
      affinity: "required-notin-global",
      toleratesFleet: true,
    },
    {
      name: "dep-template-personal",
      kind: "Deployment",
      namespace: roam,
      templateClass: "personal",
      affinity: "none",
      toleratesFleet: true,
      issue12: "the pack reads only the object's labels, so pods labelled personal roam unjudged",
    },
    {
      name: "dep-object-internal-template-personal",
      kind: "Deployment",
      namespace: roam,
      objectClass: "internal",
      templateClass: "personal",
      affinity: "preferred-no",
      toleratesFleet: true,
      issue12: "the pack trusts the object's internal label over the pods' personal one",
    },
    {
      name: "dep-internal-none",
      kind: "Deployment",
      namespace: roam,
      objectClass: "internal",
      affinity: "none",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-pinned-fn",
      kind: "Deployment",
      namespace: pinned.functions,
      objectClass: "personal",
      affinity: "none",
      toleratesFleet: true,
    },
    {
      name: "dep-personal-pinned-argo",
      kind: "Deployment",
      namespace: pinned.argo,
      objectClass: "personal",
      affinity: "preferred-no",
      toleratesFleet: true,
    },
    {
      name: "dep-template-personal-pinned",
      kind: "Deployment",
      namespace: pinned.functions,
      templateClass: "personal",
      affinity: "none",
      toleratesFleet: true,
    },
    {
      name: "sts-personal-required",
      kind: "StatefulSet",
      namespace: roam,
      objectClass: "personal",
      affinity: "required-no",
      toleratesFleet: true,
      claim: true,
    },
    {
      name: "sts-personal-preferred",
      kind: "StatefulSet",
      namespace: roam,
      objectClass: "personal",
      affinity: "preferred-no",
      toleratesFleet: true,
      claim: true,
    },
    {
      name: "sts-template-personal",
      kind: "StatefulSet",
      namespace: roam,
      templateClass: "personal",
      affinity: "none",
      toleratesFleet: true,
      claim: true,
      issue12:
        "the pack reads only the object's labels, so a StatefulSet whose pods are personal roams unjudged",
    },
    {
      name: "sts-personal-pinned-argo",
      kind: "StatefulSet",
      namespace: pinned.argo,
      objectClass: "personal",
      affinity: "none",
      toleratesFleet: true,
      claim: true,
    },
    {
      name: "ds-personal-required",
      kind: "DaemonSet",
      namespace: roam,
      objectClass: "personal",
      affinity: "required-no",
      toleratesFleet: true,
    },
    {
      name: "ds-personal-none",
      kind: "DaemonSet",
      namespace: roam,
      objectClass: "personal",
      affinity: "none",
      toleratesFleet: true,
    },
    {
      name: "job-personal-required",
      kind: "Job",
      namespace: roam,
      objectClass: "personal",
      affinity: "required-no",
      toleratesFleet: true,
    },
  ];
}

const req = (key: string, operator: string, values: string[]) => ({ key, operator, values });

function affinityOf(a: Affinity): Record<string, unknown> {
  const required = (...terms: ReturnType<typeof req>[][]) => ({
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: terms.map((t) => ({ matchExpressions: t })),
        },
      },
    },
  });
  switch (a) {
    case "none":
      return {};
    case "required-no":
      return required([req("region", "In", ["no"])]);
    case "selector-no":
      return { nodeSelector: { region: "no" } };
    case "preferred-no":
      return {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 100, preference: { matchExpressions: [req("region", "In", ["no"])] } },
            ],
          },
        },
      };
    case "required-no-or-global":
      return required([req("region", "In", ["no", "global"])]);
    case "required-two-terms":
      return required([req("region", "In", ["no"])], [req("region", "In", ["global"])]);
    case "required-notin-global":
      return required([req("region", "NotIn", ["global"])]);
  }
}

/**
 * The pod template: the probe image (imported into the real node's containerd, never pulled),
 * small requests, and the Fleet toleration when the case asks for it.
 */
export function podSpec(
  c: Pick<WorkloadCase, "affinity" | "toleratesFleet" | "claim">,
  image: string,
  fleetTaint: { key: string; value: string; effect: string },
  restartPolicy = "Always",
): Record<string, unknown> {
  return {
    ...affinityOf(c.affinity),
    ...(c.toleratesFleet
      ? {
          tolerations: [
            { key: fleetTaint.key, operator: "Equal", value: fleetTaint.value, effect: fleetTaint.effect },
          ],
        }
      : {}),
    restartPolicy,
    terminationGracePeriodSeconds: 1,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    containers: [
      {
        name: "probe",
        image,
        imagePullPolicy: "Never",
        resources: { requests: { cpu: "50m", memory: "32Mi" }, limits: { memory: "32Mi" } },
        ...(c.claim ? { volumeMounts: [{ name: "data", mountPath: "/data" }] } : {}),
      },
    ],
  };
}

/** The workload object of a case, named `name` (a case's second copy gets another name). */
export function workloadObject(
  c: WorkloadCase,
  name: string,
  image: string,
  fleetTaint: { key: string; value: string; effect: string },
): KubeObject {
  const selector = { [ROW_LABEL]: name };
  const objectLabels = { ...selector, ...(c.objectClass ? { [DATA_CLASS_LABEL]: c.objectClass } : {}) };
  const templateLabels = {
    ...selector,
    ...(c.templateClass
      ? { [DATA_CLASS_LABEL]: c.templateClass }
      : c.objectClass
        ? { [DATA_CLASS_LABEL]: c.objectClass }
        : {}),
  };
  const template = {
    metadata: { labels: templateLabels },
    spec: podSpec(c, image, fleetTaint, c.kind === "Job" ? "Never" : "Always"),
  };
  const metadata = { name, namespace: c.namespace, labels: objectLabels };
  switch (c.kind) {
    case "Deployment":
      return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata,
        spec: { replicas: 3, selector: { matchLabels: selector }, template },
      };
    case "StatefulSet":
      return {
        apiVersion: "apps/v1",
        kind: "StatefulSet",
        metadata,
        spec: {
          replicas: 2,
          serviceName: name,
          podManagementPolicy: "Parallel",
          selector: { matchLabels: selector },
          template,
          volumeClaimTemplates: [
            {
              metadata: { name: "data" },
              spec: {
                accessModes: ["ReadWriteOnce"],
                storageClassName: STORAGE_CLASS,
                resources: { requests: { storage: "1Gi" } },
              },
            },
          ],
        },
      };
    case "DaemonSet":
      return {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata,
        spec: { selector: { matchLabels: selector }, template },
      };
    case "Job":
      return {
        apiVersion: "batch/v1",
        kind: "Job",
        metadata,
        spec: { completions: 2, parallelism: 2, backoffLimit: 0, template },
      };
  }
}
