// Kubernetes objects as the residency rules see them: any object with a pod template (whatever its
// kind, custom resources too) is a workload; its data class comes from the data-class label on the
// object, on its pod template, on its volumeClaimTemplates or on a PersistentVolumeClaim it mounts;
// where it may run comes from its required node affinity, its node selector and its namespace's
// PodNodeSelector annotation. Pure.
import { DATA_CLASS_LABEL, POD_NODE_SELECTOR_ANNOTATION } from "../kubernetes";
import { DataClass, Workload } from "../residency/model";
import { declaredClass } from "./cloud";
import { dig, listAt, mapAt, textAt } from "./props";

export { DATA_CLASS_LABEL } from "../kubernetes";

/** What a resource as the pack reads it has for the Kubernetes reader. */
export interface KubeObject {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly props: Record<string, unknown>;
}

// Where pod templates are, by shape: most kinds (and custom resources) use spec.template.
const POD_SPEC_PATHS: readonly (readonly string[])[] = [
  ["spec", "jobTemplate", "spec", "template"],
  ["spec", "template"],
  ["template"],
];

/** The pod template (`{ metadata, spec }`) of an object, or undefined when it has none. */
function podTemplate(o: KubeObject): { path: string; template: Record<string, unknown> } | undefined {
  if (o.type === "kubernetes:core/v1:Pod") return { path: "", template: o.props };
  for (const path of POD_SPEC_PATHS) {
    const template = dig(o.props, path);
    if (typeof dig(template, ["spec"]) === "object" && dig(template, ["spec", "containers"]) !== undefined) {
      return { path: path.join("."), template: template as Record<string, unknown> };
    }
  }
  return undefined;
}

const RANK: Readonly<Record<DataClass, number>> = {
  [DataClass.Public]: 0,
  [DataClass.Internal]: 1,
  [DataClass.Personal]: 2,
  [DataClass.Special]: 3,
};

const nsOf = (o: KubeObject) => textAt(o.props, ["metadata", "namespace"]) ?? "default";
const nameOf = (o: KubeObject) => textAt(o.props, ["metadata", "name"]) ?? o.name;
const kindOf = (type: string) => type.split(":").pop() ?? type;

/** A workload of the program with where its verdict came from. */
export interface KubeWorkload {
  readonly urn: string;
  readonly workload?: Workload;
  /** Why it could not be judged. */
  readonly unreadable?: string;
  /** Why it has no verdict at all: a volume nobody classified, for the advisory. */
  readonly unclassified?: string;
}

type Requirement = { key?: unknown; operator?: unknown; values?: unknown };

/**
 * Labels a single-term required node affinity pins to: the node selector plus `In` requirements
 * with one value. Anything Fortress cannot read as such comes back as undefined.
 */
export function requiredLabels(
  nodeSelector: Record<string, unknown>,
  terms: unknown[],
): Record<string, string> | undefined {
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(nodeSelector)) if (typeof v === "string") labels[k] = v;
  if (terms.length > 1) return undefined;
  for (const req of listAt(terms[0], ["matchExpressions"]) as Requirement[]) {
    const values = Array.isArray(req.values) ? req.values : [];
    if (req.operator !== "In" || values.length !== 1 || typeof req.key !== "string") return undefined;
    labels[req.key] = String(values[0]);
  }
  return labels;
}

function preferredLabels(spec: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  const prefs = listAt(spec, ["affinity", "nodeAffinity", "preferredDuringSchedulingIgnoredDuringExecution"]);
  for (const p of prefs) {
    for (const req of listAt(p, ["preference", "matchExpressions"]) as Requirement[]) {
      const values = Array.isArray(req.values) ? req.values : [];
      if (req.operator === "In" && values.length === 1 && typeof req.key === "string")
        labels[req.key] = String(values[0]);
    }
  }
  return labels;
}

/** `region=no,zone=a` (the annotation's form) as labels. */
function parseSelector(selector: string | undefined): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of (selector ?? "").split(",")) {
    const [k, v] = part.split("=").map((s) => s.trim());
    if (k && v !== undefined) labels[k] = v;
  }
  return labels;
}

/** Every classified workload and volume of the program's Kubernetes objects. */
export function kubernetesWorkloads(objects: readonly KubeObject[]): KubeWorkload[] {
  const kube = objects.filter((o) => o.type.startsWith("kubernetes:"));
  // Namespaces pinned by the PodNodeSelector admission plugin, and classified claims.
  const pinned = new Map<string, Record<string, string>>();
  const claims = new Map<string, { dataClass: DataClass; name: string }>();
  for (const o of kube) {
    if (o.type === "kubernetes:core/v1:Namespace") {
      const selector = textAt(o.props, ["metadata", "annotations", POD_NODE_SELECTOR_ANNOTATION]);
      if (selector) pinned.set(nameOf(o), parseSelector(selector));
    }
    if (o.type === PVC) {
      const c = declaredClass(mapAt(o.props, ["metadata", "labels"])[DATA_CLASS_LABEL]).dataClass;
      if (c) claims.set(`${nsOf(o)}/${nameOf(o)}`, { dataClass: c, name: nameOf(o) });
    }
  }
  // Claims each pod template mounts, and whether a classified workload mounts them.
  const mounted = new Map<string, boolean>();

  const out: KubeWorkload[] = [];
  for (const o of kube) {
    if (o.type === "kubernetes:core/v1:PersistentVolume") {
      const pv = persistentVolume(o);
      if (pv) out.push(pv);
      continue;
    }
    const pod = podTemplate(o);
    if (!pod) continue;
    const subject = nameOf(o);
    const described = `${kindOf(o.type)} "${subject}"`;
    // Every place a data class can be declared; the most sensitive wins.
    const declared: { value: unknown; where: string }[] = [
      { value: mapAt(o.props, ["metadata", "labels"])[DATA_CLASS_LABEL], where: "its own label" },
      {
        value: mapAt(pod.template, ["metadata", "labels"])[DATA_CLASS_LABEL],
        where: "its pod template's label",
      },
      ...listAt(o.props, ["spec", "volumeClaimTemplates"]).map((t) => ({
        value: mapAt(t, ["metadata", "labels"])[DATA_CLASS_LABEL],
        where: `the label of its volumeClaimTemplate "${textAt(t, ["metadata", "name"]) ?? "?"}"`,
      })),
    ];
    const spec = dig(pod.template, ["spec"]);
    const mounts = listAt(spec, ["volumes"]).flatMap((v) => {
      const claim = textAt(v, ["persistentVolumeClaim", "claimName"]);
      return claim ? [`${nsOf(o)}/${claim}`] : [];
    });
    for (const key of mounts) {
      const found = claims.get(key);
      if (found)
        declared.push({
          value: found.dataClass,
          where: `the PersistentVolumeClaim "${found.name}" it mounts`,
        });
    }
    const given = declared.filter((d) => d.value !== undefined);
    for (const key of mounts) mounted.set(key, (mounted.get(key) ?? false) || given.length > 0);
    if (given.length === 0) continue;
    const bad = given.find((d) => !declaredClass(d.value).dataClass);
    if (bad) {
      out.push({
        urn: o.urn,
        unreadable: `${described} has ${DATA_CLASS_LABEL}=${JSON.stringify(bad.value)} (${bad.where}), which is no data class; use one of ${Object.values(DataClass).join(", ")}.`,
      });
      continue;
    }
    const strongest = given
      .map((d) => ({ ...d, dataClass: declaredClass(d.value).dataClass! }))
      .sort((a, b) => RANK[b.dataClass] - RANK[a.dataClass])[0];
    const terms = listAt(spec, [
      "affinity",
      "nodeAffinity",
      "requiredDuringSchedulingIgnoredDuringExecution",
      "nodeSelectorTerms",
    ]);
    const own = requiredLabels(mapAt(spec, ["nodeSelector"]), terms);
    if (own === undefined) {
      out.push({
        urn: o.urn,
        unreadable: `${described} holds ${strongest.dataClass} data with a node affinity Fortress cannot verify (several terms, or operators other than In with one value); require region In [no] in a single term.`,
      });
      continue;
    }
    const namespaceSelector = pinned.get(nsOf(o)) ?? {};
    const required = { ...own, ...namespaceSelector };
    const preferred = preferredLabels(spec);
    const how = [
      `data class ${strongest.dataClass} from ${strongest.where}`,
      Object.keys(own).length > 0 ? `required node labels ${labelList(own)}` : "no required node labels",
      ...(Object.keys(namespaceSelector).length > 0
        ? [`namespace "${nsOf(o)}" pins its pods to ${labelList(namespaceSelector)} (PodNodeSelector)`]
        : []),
    ];
    out.push({
      urn: o.urn,
      workload: {
        name: subject,
        dataClass: strongest.dataClass,
        ...(Object.keys(required).length > 0 ? { requiredNodeLabels: required } : {}),
        ...(Object.keys(preferred).length > 0 ? { preferredNodeLabels: preferred } : {}),
        evidence: how.join("; "),
      },
    });
  }
  for (const o of kube.filter((k) => k.type === PVC)) {
    const claim = unmountedClaim(o, kube, mounted.get(`${nsOf(o)}/${nameOf(o)}`));
    if (claim) out.push(claim);
  }
  return out;
}

const PVC = "kubernetes:core/v1:PersistentVolumeClaim";

/**
 * A claim no classified workload of the program mounts. Classified, its data is where its volume
 * is provisioned: its bound PersistentVolume's node affinity or its StorageClass's
 * allowedTopologies, when the program has them; a workload from elsewhere decides it otherwise.
 * Unclassified, nobody can tell what it holds: an advisory names the label. A claim a classified
 * workload mounts is judged with that workload (the volume is where its pods are).
 */
function unmountedClaim(
  o: KubeObject,
  kube: readonly KubeObject[],
  byClassified: boolean | undefined,
): KubeWorkload | undefined {
  const value = mapAt(o.props, ["metadata", "labels"])[DATA_CLASS_LABEL];
  const described = `PersistentVolumeClaim "${nameOf(o)}"`;
  if (byClassified) return undefined;
  if (value === undefined) {
    return {
      urn: o.urn,
      unclassified:
        `${described} has no "${DATA_CLASS_LABEL}" label${byClassified === false ? " and no classified workload mounts it" : ""}, ` +
        `so the pack cannot tell whether it holds personal data. Set the label ${DATA_CLASS_LABEL} to personal, special, internal or public.`,
    };
  }
  const dataClass = declaredClass(value).dataClass;
  if (!dataClass) {
    return {
      urn: o.urn,
      unreadable: `${described} has ${DATA_CLASS_LABEL}=${JSON.stringify(value)}, which is no data class; use one of ${Object.values(DataClass).join(", ")}.`,
    };
  }
  const named = (type: string, name: string | undefined) =>
    name === undefined ? undefined : kube.find((k) => k.type === type && nameOf(k) === name);
  const volumeName = textAt(o.props, ["spec", "volumeName"]);
  const className = textAt(o.props, ["spec", "storageClassName"]);
  const pv = named("kubernetes:core/v1:PersistentVolume", volumeName);
  const sc = named("kubernetes:storage.k8s.io/v1:StorageClass", className);
  const [required, where] = pv
    ? [
        requiredLabels({}, listAt(pv.props, ["spec", "nodeAffinity", "required", "nodeSelectorTerms"])),
        `its PersistentVolume "${volumeName}"'s node affinity`,
      ]
    : sc
      ? [
          topologyLabels(listAt(sc.props, ["allowedTopologies"])),
          `its StorageClass "${className}"'s allowedTopologies`,
        ]
      : [
          {},
          className
            ? `its StorageClass "${className}", which the program does not define`
            : "no StorageClass named (the cluster's default)",
        ];
  if (required === undefined) {
    return {
      urn: o.urn,
      unreadable: `${described} holds ${dataClass} data where ${where} says, which Fortress cannot verify (several terms, or several values); require region=no in a single term.`,
    };
  }
  const labels = required;
  return {
    urn: o.urn,
    workload: {
      name: nameOf(o),
      kind: "PersistentVolumeClaim",
      dataClass,
      ...(Object.keys(labels).length > 0 ? { requiredNodeLabels: labels } : {}),
      evidence:
        `data class ${dataClass} from its own label; mounted by no workload of the program; ` +
        (Object.keys(labels).length > 0
          ? `provisioned at ${labelList(labels)} (${where})`
          : `provisioned anywhere: ${where} pins no node`),
    },
  };
}

/** A StorageClass's allowedTopologies as labels: one term, each expression with one value. */
function topologyLabels(terms: unknown[]): Record<string, string> | undefined {
  if (terms.length !== 1) return terms.length === 0 ? {} : undefined;
  const labels: Record<string, string> = {};
  for (const e of listAt(terms[0], ["matchLabelExpressions"]) as { key?: unknown; values?: unknown }[]) {
    const values = Array.isArray(e.values) ? e.values : [];
    if (typeof e.key !== "string" || values.length !== 1) return undefined;
    labels[e.key] = String(values[0]);
  }
  return labels;
}

const labelList = (labels: Record<string, string>) =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(", ");

/** A classified PersistentVolume: attachable only where its node affinity allows. */
function persistentVolume(o: KubeObject): KubeWorkload | undefined {
  const dataClass = declaredClass(mapAt(o.props, ["metadata", "labels"])[DATA_CLASS_LABEL]).dataClass;
  if (!dataClass) return undefined;
  const terms = listAt(o.props, ["spec", "nodeAffinity", "required", "nodeSelectorTerms"]);
  const required = requiredLabels({}, terms) ?? {};
  return {
    urn: o.urn,
    workload: {
      name: nameOf(o),
      dataClass,
      ...(Object.keys(required).length > 0 ? { requiredNodeLabels: required } : {}),
      evidence: `data class ${dataClass} from its own label; ${
        Object.keys(required).length > 0 ? `node affinity ${labelList(required)}` : "no node affinity"
      }`,
    },
  };
}
