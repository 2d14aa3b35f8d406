// The platform suite's cluster: the prod rendering (with two functions) brought up on upstream
// Kubernetes, kwok nodes beside the real kubelet, local volumes, and the helpers the tests share:
// the pack's verdicts on live objects, and waiting for the scheduler's decisions.
import * as assert from "assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PolicyResource } from "@pulumi/policy";
import { DATA_CLASS_LABEL } from "../../sdk/policy/facts";
import { fortressPolicies } from "../../sdk/policy/policies";
import {
  Kube,
  KubeObject,
  RenderedNode,
  RenderedStack,
  clusterEnv,
  clusterScript,
  renderStack,
  waitFor,
} from "./cluster";
import { ROAMING_NAMESPACE, STORAGE_CLASS, WorkloadCase } from "./workloads";

export type Pod = {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    tolerations?: { key?: string; value?: string; effect?: string }[];
  };
  status: { phase?: string; conditions?: { type: string; status: string; reason?: string }[] };
};
export type Node = KubeObject & {
  spec: { taints?: { key: string; value?: string; effect: string }[]; unschedulable?: boolean };
  status: { conditions?: { type: string; status: string }[] };
};

/** The pack's verdict on each workload, run as the engine runs a stack policy: on the live objects. */
export function packVerdicts(objects: KubeObject[]): Map<string, string[]> {
  const urnOf = (o: KubeObject) =>
    `urn:pulumi:k8s::fortress::kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}::${o.metadata.name}`;
  const resources = objects.map(
    (o) =>
      ({
        type: `kubernetes:${o.apiVersion.includes("/") ? o.apiVersion : `core/${o.apiVersion}`}:${o.kind}`,
        name: o.metadata.name,
        urn: urnOf(o),
        props: o,
        opts: {},
      }) as unknown as PolicyResource,
  );
  const verdicts = new Map<string, string[]>(objects.map((o) => [urnOf(o), []]));
  // The stack policies: Kubernetes objects are judged on what the engine reports after the update
  // (the before-create resource policy leaves them to these).
  for (const policy of fortressPolicies) {
    if (!("validateStack" in policy)) continue;
    void policy.validateStack(
      { resources, stackTags: new Map(), getConfig: <T extends object>() => ({}) as T } as never,
      (message: string, urn?: string) => verdicts.get(urn ?? "")?.push(`${policy.name}: ${message}`),
    );
  }
  return new Map(objects.map((o) => [o.metadata.name, verdicts.get(urnOf(o)) ?? []]));
}

/** What the suite's tests share once the cluster is up. */
export interface PlatformCluster {
  readonly stack: RenderedStack;
  readonly env: Record<string, string>;
  readonly kube: Kube;
  readonly realNode: RenderedNode;
  readonly timings: { renderMs: number; upMs: number; bringUpMs: number };
  readonly regionOf: Map<string, string>;
  readonly fleetTaint: { key: string; value: string; effect: string };
  readonly image: string;
}

/** Renders prod, brings the cluster up with its API server flags, and adds its other nodes. */
export async function bringUpPlatform(): Promise<PlatformCluster> {
  const timings = { renderMs: 0, upMs: 0, bringUpMs: 0 };
  const regionOf = new Map<string, string>();
  const tRender = Date.now();
  const prod = (await import("yaml")).parse(
    fs.readFileSync(path.join(__dirname, "../../stacks/Pulumi.prod.yaml"), "utf8"),
  ) as {
    config: Record<string, Record<string, unknown>>;
  };
  // prod declares no functions; these go through OpenFaasPlatform like any stack's would.
  const stack = await renderStack("prod", {
    "fortress:openfaas": {
      ...prod.config["fortress:openfaas"],
      functions: [
        {
          name: "gdpr-export",
          image: "registry.example.no/gdpr-export:1.0.0",
          scale: { min: 1 },
          labels: { [DATA_CLASS_LABEL]: "personal" },
        },
        {
          name: "thumbnails",
          image: "registry.example.no/thumbnails:2.1.0",
          scale: { zero: true },
          limits: { cpu: "500m", memory: "128Mi" },
        },
      ],
    },
    "fortress:openfaasLicense": "not-a-real-licence",
  });
  timings.renderMs = Date.now() - tRender;
  const servers = stack.nodes.filter((n) => n.role === "server");
  const realNode = servers[0];
  const fleet = stack.nodes.find((n) => n.taints.length > 0);
  assert.ok(fleet, "the prod rendering has a tainted (Fleet) node");
  const fleetTaint = fleet.taints[0];

  const env = clusterEnv();
  clusterScript(["down"]); // a run that died before its own `down` left nothing we keep
  const argsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "fortress-k8s-")), "apiserver-args");
  fs.writeFileSync(argsFile, stack.apiserverArgs.join("\n") + "\n");
  const t0 = Date.now();
  clusterScript(["up"], {
    FORTRESS_K8S_NODE: realNode.name,
    FORTRESS_K8S_NODE_LABELS: Object.entries(realNode.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(","),
    FORTRESS_K8S_NODE_TAINTS: realNode.taints.map((t) => `${t.key}=${t.value}:${t.effect}`).join(","),
    FORTRESS_K8S_APISERVER_ARGS: argsFile,
    FORTRESS_K8S_SECRETS_ENCRYPTION: String(stack.secretsEncryption),
  });
  fs.rmSync(path.dirname(argsFile), { recursive: true });
  timings.upMs = Date.now() - t0;
  const kube = new Kube(env);
  const image = env.FORTRESS_K8S_PROBE_IMAGE;

  // The other nodes are kwok's: Fleet nodes bigger than Fortress ones, so the scheduler's
  // scoring would choose them for any pod it is allowed to put there.
  for (const n of stack.nodes.filter((x) => x.name !== realNode.name)) {
    const fleetNode = n.labels.region !== "no";
    const size = fleetNode ? { cpu: "16", memory: "64Gi" } : { cpu: "4", memory: "16Gi" };
    await kube.create({
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: n.name,
        labels: {
          ...n.labels,
          "kubernetes.io/hostname": n.name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
        },
        annotations: { "kwok.x-k8s.io/node": "fake" },
      },
      spec: { taints: n.taints },
      status: { capacity: { ...size, pods: "110" }, allocatable: { ...size, pods: "110" } },
    });
  }
  for (const n of stack.nodes) {
    regionOf.set(n.name, n.labels.region);
    await waitFor(`node ${n.name} Ready`, async () => {
      const node = await kube.get<Node>(`/api/v1/nodes/${n.name}`);
      const ready = node.status.conditions?.find((c) => c.type === "Ready")?.status === "True";
      const notReadyTaint = node.spec.taints?.some((t) => t.key === "node.kubernetes.io/not-ready");
      return ready && !notReadyTaint ? true : undefined;
    });
  }
  timings.bringUpMs = Date.now() - t0;

  await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ROAMING_NAMESPACE } });
  await kube.apply({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name: STORAGE_CLASS },
    provisioner: "kubernetes.io/no-provisioner",
    volumeBindingMode: "WaitForFirstConsumer",
  });
  // Local volumes on every kwok node, as k3s's local-path storage would give: the scheduler
  // binds a claim to a volume on the node it picks for the pod.
  for (const n of stack.nodes.filter((x) => x.name !== realNode.name)) {
    for (let i = 0; i < 6; i++) {
      await kube.apply({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: `local-${n.name}-${i}` },
        spec: {
          capacity: { storage: "1Gi" },
          accessModes: ["ReadWriteOnce"],
          storageClassName: STORAGE_CLASS,
          persistentVolumeReclaimPolicy: "Retain",
          local: { path: `/var/lib/fortress-volumes/${i}` },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: "kubernetes.io/hostname", operator: "In", values: [n.name] }] },
              ],
            },
          },
        },
      });
    }
  }
  return { stack, env, kube, realNode, timings, regionOf, fleetTaint, image };
}

/** The pods of a namespace that match a label selector. */
export const podsOf = (kube: Kube, ns: string, selector: string) =>
  kube.list<Pod>(`/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`);

/** Waits until each pod is bound or the scheduler has said it cannot place it. */
export const decidedOf = (kube: Kube, ns: string, selector: string, count: number) =>
  waitFor(
    `${count} pods of ${selector} scheduled or refused`,
    async () => {
      const list = await podsOf(kube, ns, selector);
      if (list.length < count) return undefined;
      const open = list.filter(
        (p) =>
          !p.spec.nodeName &&
          !p.status.conditions?.some((c) => c.type === "PodScheduled" && c.reason === "Unschedulable"),
      );
      return open.length === 0 ? list : undefined;
    },
    120000,
  );

/** One row of the placement table: a workload, the pack's verdict and where the scheduler put it. */
export type PlacementRow = {
  c: WorkloadCase;
  personal: boolean;
  packPasses: boolean;
  outside: boolean;
  where: string;
  reasons: string[];
};

/** The rows, from the pack's verdicts and the nodes of each run (all open, then Norway full). */
export function placementRows(
  cases: readonly WorkloadCase[],
  verdicts: Map<string, string[]>,
  first: Map<string, string[]>,
  second: Map<string, string[]>,
  regionOf: Map<string, string>,
): PlacementRow[] {
  return cases.map((c) => {
    const cls = c.templateClass ?? c.objectClass;
    const personal = cls === "personal" || cls === "special";
    const reasons = verdicts.get(c.name) ?? [];
    const all = [...first.get(c.name)!, ...second.get(c.name)!];
    const outside = all.some((n) => n && regionOf.get(n) !== "no");
    const fmt = (l: string[]) => l.map((n) => n || "-").join(",");
    return {
      c,
      personal,
      packPasses: reasons.length === 0,
      outside,
      where: `${fmt(first.get(c.name)!)} | full: ${fmt(second.get(c.name)!)}`,
      reasons,
    };
  });
}

/** The table the suite prints, one line per row; `bad` marks a disagreement. */
export function placementTable(rows: readonly PlacementRow[], bad: (r: PlacementRow) => boolean): string[] {
  return [
    "workload | kind | namespace | object/template class | affinity | tolerates Fleet | pack | scheduler (all open | Fortress full) | outside Norway | agrees",
    ...rows.map((r) =>
      [
        r.c.name,
        r.c.kind,
        r.c.namespace,
        `${r.c.objectClass ?? "-"}/${r.c.templateClass ?? "-"}`,
        r.c.affinity,
        r.c.toleratesFleet ? "yes" : "no",
        r.packPasses ? "passes" : "refuses",
        r.where,
        r.outside ? "CAN" : "never",
        bad(r) ? `NO (issue 12: ${r.c.issue12 ?? "not expected"})` : "yes",
      ].join(" | "),
    ),
  ];
}
