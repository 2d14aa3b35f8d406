// The platform layer on a real API server, placed by a real scheduler (upstream Kubernetes built
// from Go modules: what k3s embeds; k3s itself cannot be had here). Needs root. See README.md.
import * as assert from "assert";
import * as fs from "node:fs";
import { POD_NODE_SELECTOR_ANNOTATION } from "../../sdk/kubernetes";
import { ARGO_NAMESPACE } from "../../sdk/argo";
import { FUNCTION_NAMESPACE, OPENFAAS_NAMESPACE } from "../../sdk/openfaas";
import {
  ApiError,
  Kube,
  KubeObject,
  RenderedNode,
  RenderedStack,
  clusterLeftovers,
  clusterScript,
  etcdValue,
  waitFor,
} from "./cluster";
import { APPLICATION_CRD, FUNCTION_CRD } from "./crds";
import {
  Node,
  PlacementRow,
  PlatformCluster,
  Pod,
  bringUpPlatform,
  decidedOf,
  packVerdicts,
  placementRows,
  placementTable,
} from "./platformCluster";
import {
  ROAMING_NAMESPACE,
  ROW_LABEL,
  WorkloadCase,
  podSpec,
  workloadCases,
  workloadObject,
} from "./workloads";

const sec = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

describe("real Kubernetes: the platform layer on upstream kube-apiserver and kube-scheduler", function () {
  this.timeout(15 * 60 * 1000);

  let stack: RenderedStack;
  let env: Record<string, string>;
  let kube: Kube;
  let realNode: RenderedNode;
  let timings: PlatformCluster["timings"];
  let regionOf: Map<string, string>;
  let fleetTaint: { key: string; value: string; effect: string };
  let image: string;
  let down = false;

  const takeDown = () => {
    if (down) return;
    down = true;
    kube?.close();
    clusterScript(["down"]);
  };

  // Network namespaces that were there before: the cluster may leave none of its own in /run/netns.
  const netnsBefore = new Set(fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : []);

  before(async function () {
    ({ stack, env, kube, realNode, timings, regionOf, fleetTaint, image } = await bringUpPlatform());
  });

  after(() => takeDown());

  const decided = (ns: string, selector: string, count: number) => decidedOf(kube, ns, selector, count);

  it("registers the prod nodes with exactly the labels and taints K3sCluster renders", async () => {
    const nodes = await kube.list<Node>("/api/v1/nodes");
    assert.deepStrictEqual(nodes.map((n) => n.metadata.name).sort(), stack.nodes.map((n) => n.name).sort());
    for (const want of stack.nodes) {
      const got = nodes.find((n) => n.metadata.name === want.name)!;
      for (const [k, v] of Object.entries(want.labels))
        assert.strictEqual(got.metadata.labels?.[k], v, `${want.name} ${k}`);
      assert.deepStrictEqual(
        (got.spec.taints ?? []).map((t) => `${t.key}=${t.value ?? ""}:${t.effect}`).sort(),
        want.taints.map((t) => `${t.key}=${t.value}:${t.effect}`).sort(),
        `${want.name} taints`,
      );
    }
    assert.ok(
      stack.nodes.some((n) => n.labels.region === "no") &&
        stack.nodes.some((n) => n.labels.region === "global"),
    );
  });

  it("accepts, server-side and strictly validated, every object OpenFaasPlatform and ArgoBootstrap create outside their charts", async () => {
    for (const crd of [APPLICATION_CRD, FUNCTION_CRD]) {
      await kube.apply(crd);
      await waitFor(`CRD ${crd.metadata.name} established`, async () => {
        const c = await kube.get<{ status?: { conditions?: { type: string; status: string }[] } }>(
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`,
        );
        return c.status?.conditions?.some((x) => x.type === "Established" && x.status === "True")
          ? true
          : undefined;
      });
    }
    const order = (o: KubeObject) => (o.kind === "Namespace" ? 0 : 1);
    const kinds = new Map<string, number>();
    for (const obj of [...stack.objects].sort((a, b) => order(a) - order(b))) {
      const live = await kube.apply(obj);
      assert.strictEqual(live.metadata.name, obj.metadata.name);
      kinds.set(obj.kind, (kinds.get(obj.kind) ?? 0) + 1);
    }
    console.log(
      `      applied: ${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}; Helm releases not installed (charts unreachable): ${stack.releases.map((r) => r.name).join(", ")}`,
    );
    assert.deepStrictEqual([...kinds.keys()].sort(), ["Application", "Function", "Namespace", "Secret"]);
    for (const ns of [OPENFAAS_NAMESPACE, FUNCTION_NAMESPACE, ARGO_NAMESPACE]) {
      const live = await kube.get<KubeObject>(`/api/v1/namespaces/${ns}`);
      assert.strictEqual(
        (live.metadata.annotations as Record<string, string>)?.[POD_NODE_SELECTOR_ANNOTATION],
        "region=no",
        ns,
      );
    }
    const fns = await kube.list<KubeObject & { spec: { constraints: string[] } }>(
      `/apis/openfaas.com/v1/namespaces/${FUNCTION_NAMESPACE}/functions`,
    );
    assert.deepStrictEqual(fns.map((f) => f.metadata.name).sort(), ["gdpr-export", "thumbnails"]);
    // The API server refuses what the schema does not have: strict validation is really on.
    await assert.rejects(
      kube.apply({
        apiVersion: "openfaas.com/v1",
        kind: "Function",
        metadata: { name: "bad", namespace: FUNCTION_NAMESPACE },
        spec: { name: "bad", image: "x", replicas: 3 },
      }),
      // Server-side apply reports it while building the typed patch, hence no 4xx.
      (e: unknown) =>
        e instanceof ApiError && /\.spec\.replicas: field not declared in schema/.test(e.message),
    );
  });

  it("keeps the platform's Secrets encrypted in etcd, as the rendered secrets-encryption asks", async () => {
    assert.strictEqual(stack.secretsEncryption, true, "prod renders secrets-encryption: true");
    const secrets = stack.objects.filter((o) => o.kind === "Secret");
    let values = 0;
    for (const s of secrets) {
      const stored = etcdValue(env, `/registry/secrets/${s.metadata.namespace}/${s.metadata.name}`);
      assert.ok(
        stored.subarray(0, 18).toString() === "k8s:enc:aescbc:v1:",
        `${s.metadata.name} is encrypted`,
      );
      // And the API server still gives it back in clear, to those allowed to read it.
      const live = await kube.get<{ data?: Record<string, string> }>(
        `/api/v1/namespaces/${s.metadata.namespace}/secrets/${s.metadata.name}`,
      );
      const clear = Object.values((s.stringData ?? {}) as Record<string, string>);
      values += clear.length;
      for (const v of clear) {
        assert.ok(!stored.includes(Buffer.from(v)), `${s.metadata.name}: a value in clear in etcd`);
        assert.ok(Object.values(live.data ?? {}).some((d) => Buffer.from(d, "base64").toString() === v));
      }
    }
    assert.ok(
      secrets.length >= 3 && values >= secrets.length,
      `${values} values in ${secrets.length} Secrets checked`,
    );
  });

  it("gives every pod in the OpenFaaS, function and Argo namespaces region=no and binds it only to Fortress nodes, with bigger Fleet nodes free", async () => {
    const tolerant = podSpec({ affinity: "none", toleratesFleet: true }, image, fleetTaint);
    const placed = new Map<string, string[]>();
    for (const ns of [OPENFAAS_NAMESPACE, FUNCTION_NAMESPACE, ARGO_NAMESPACE, ROAMING_NAMESPACE]) {
      // Admission refuses pods until the controller-manager has made the namespace's service account.
      await waitFor(`service account in ${ns}`, () =>
        kube.get(`/api/v1/namespaces/${ns}/serviceaccounts/default`),
      );
      for (let i = 0; i < 6; i++) {
        const pod = await kube.create<Pod>({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: `pinning-${i}`, namespace: ns, labels: { [ROW_LABEL]: "pinning" } },
          spec: tolerant,
        });
        if (ns !== ROAMING_NAMESPACE)
          assert.deepStrictEqual(pod.spec.nodeSelector, { region: "no" }, `admission in ${ns}`);
      }
      const list = await decided(ns, `${ROW_LABEL}=pinning`, 6);
      placed.set(
        ns,
        list.map((p) => p.spec.nodeName ?? "(unscheduled)"),
      );
    }
    console.log(`      placements: ${[...placed].map(([ns, n]) => `${ns}: ${n.join(" ")}`).join("; ")}`);
    for (const ns of [OPENFAAS_NAMESPACE, FUNCTION_NAMESPACE, ARGO_NAMESPACE])
      for (const n of placed.get(ns)!) assert.strictEqual(regionOf.get(n), "no", `${ns} pod on ${n}`);
    // The same pods where no namespace pins them: the scheduler does prefer the Fleet.
    assert.ok(
      placed.get(ROAMING_NAMESPACE)!.some((n) => regionOf.get(n) === "global"),
      "unpinned pods reach the Fleet",
    );
  });

  it("refuses at admission a pod in those namespaces that asks for a Fleet node", async () => {
    for (const ns of [OPENFAAS_NAMESPACE, FUNCTION_NAMESPACE, ARGO_NAMESPACE]) {
      await assert.rejects(
        kube.create({
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "wants-fleet", namespace: ns },
          spec: {
            ...podSpec({ affinity: "none", toleratesFleet: true }, image, fleetTaint),
            nodeSelector: { region: "global" },
          },
        }),
        (e: unknown) =>
          e instanceof ApiError &&
          e.status === 403 &&
          /conflicts with its namespace node label selector/.test(e.message),
        ns,
      );
    }
  });

  it("runs a pod from the self-built image on the real kubelet, on a Fortress node", async () => {
    const spec = podSpec({ affinity: "none", toleratesFleet: false }, image, fleetTaint);
    const container = (spec.containers as Record<string, unknown>[])[0];
    container.env = [
      { name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
      { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
    ];
    await kube.create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "real-probe", namespace: FUNCTION_NAMESPACE },
      spec: { ...spec, nodeSelector: { "kubernetes.io/hostname": realNode.name } },
    });
    const pod = await waitFor(
      "real-probe Running",
      async () => {
        const p = await kube.get<Pod>(`/api/v1/namespaces/${FUNCTION_NAMESPACE}/pods/real-probe`);
        return p.status.phase === "Running" ? p : undefined;
      },
      180000,
    );
    assert.strictEqual(pod.spec.nodeName, realNode.name);
    assert.strictEqual(regionOf.get(realNode.name), "no");
    const log = await waitFor("real-probe log", async () => {
      const text = await kube.request<string>(
        "GET",
        `/api/v1/namespaces/${FUNCTION_NAMESPACE}/pods/real-probe/log`,
      );
      return String(text).includes("fortress-probe") ? String(text) : undefined;
    });
    console.log(`      ${log.trim()}`);
    assert.match(log, new RegExp(`node=${realNode.name} pod=real-probe namespace=${FUNCTION_NAMESPACE}`));
  });

  it("agrees with the real scheduler on where the pack's verdicts put personal data (table)", async () => {
    const cases = workloadCases({ functions: FUNCTION_NAMESPACE, argo: ARGO_NAMESPACE });
    assert.ok(cases.length >= 15);
    const fortressNodes = stack.nodes.filter((n) => n.labels.region === "no").map((n) => n.name);
    const expected = async (c: WorkloadCase, name: string): Promise<number> => {
      if (c.kind === "Deployment") return 3;
      if (c.kind === "StatefulSet" || c.kind === "Job") return 2;
      return waitFor(`DaemonSet ${name} counted`, async () => {
        const ds = await kube.get<{
          status?: { desiredNumberScheduled?: number; observedGeneration?: number };
        }>(`/apis/apps/v1/namespaces/${c.namespace}/daemonsets/${name}`);
        return ds.status?.observedGeneration ? ds.status.desiredNumberScheduled : undefined;
      });
    };
    const run = async (suffix: string) => {
      const live: KubeObject[] = [];
      for (const c of cases)
        live.push(await kube.apply(workloadObject(c, c.name + suffix, image, fleetTaint)));
      const result = new Map<string, string[]>();
      for (const c of cases) {
        const name = c.name + suffix;
        const list = await decided(c.namespace, `${ROW_LABEL}=${name}`, await expected(c, name));
        result.set(
          c.name,
          list.map((p) => p.spec.nodeName ?? ""),
        );
      }
      return { live, result };
    };

    // 1. Every node open: where the scheduler puts each workload.
    const first = await run("");
    // 2. The Fortress full (cordoned): where it can put them when Norway has no room.
    const cordon = (on: boolean) =>
      Promise.all(
        fortressNodes.map((n) =>
          kube.request(
            "PATCH",
            `/api/v1/nodes/${n}`,
            { spec: { unschedulable: on ? true : null } },
            "application/strategic-merge-patch+json",
          ),
        ),
      );
    await cordon(true);
    let second: Awaited<ReturnType<typeof run>>;
    try {
      second = await run("-x");
    } finally {
      await cordon(false);
    }

    const verdicts = packVerdicts(first.live);
    const rows = placementRows(cases, verdicts, first.result, second.result, regionOf);
    const bad = (r: PlacementRow) => r.personal && r.outside && r.packPasses;
    const table = placementTable(rows, bad);
    console.log(table.map((l) => `      ${l}`).join("\n"));

    // Every workload with personal data that the pack passes never leaves Norway, and every one
    // the scheduler can place outside Norway is refused by the pack.
    const disagreements = rows
      .filter(bad)
      .map((r) => `${r.c.name}${r.c.issue12 ? ` (issue 12: ${r.c.issue12})` : ""}`);
    assert.deepStrictEqual(
      disagreements,
      [],
      `the pack passes personal workloads the scheduler places outside Norway`,
    );
    // The table is not vacuous: some personal workloads do leave Norway, and the pack passes some.
    assert.ok(
      rows.some((r) => r.personal && r.outside) && rows.some((r) => r.personal && r.packPasses && !r.outside),
    );
  });

  it("puts on Fleet nodes only pods that tolerate the Fleet taint", async () => {
    for (let i = 0; i < 6; i++)
      await kube.create({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `untolerated-${i}`,
          namespace: ROAMING_NAMESPACE,
          labels: { [ROW_LABEL]: "untolerated" },
        },
        spec: podSpec({ affinity: "none", toleratesFleet: false }, image, fleetTaint),
      });
    await decided(ROAMING_NAMESPACE, `${ROW_LABEL}=untolerated`, 6);
    const all = await kube.list<Pod>("/api/v1/pods");
    const onFleet = all.filter((p) => p.spec.nodeName && regionOf.get(p.spec.nodeName) === "global");
    assert.ok(onFleet.length > 0, "some pods run on the Fleet");
    for (const p of onFleet)
      assert.ok(
        p.spec.tolerations?.some((t) => t.key === fleetTaint.key && t.effect === fleetTaint.effect),
        `${p.metadata.namespace}/${p.metadata.name} on ${p.spec.nodeName} does not tolerate the Fleet taint`,
      );
    const perNode = new Map<string, number>();
    for (const p of all)
      perNode.set(p.spec.nodeName ?? "(pending)", (perNode.get(p.spec.nodeName ?? "(pending)") ?? 0) + 1);
    const version = await kube.get<{ gitVersion: string }>("/version");
    console.log(
      `      API server ${version.gitVersion}; bring-up ${sec(timings.bringUpMs)} (cluster.sh up ${sec(timings.upMs)}, then the kwok nodes Ready; build cached; prod render ${sec(timings.renderMs)}); pods per node: ${[
        ...perNode,
      ]
        .sort()
        .map(([n, c]) => `${n}=${c}`)
        .join(" ")}`,
    );
    assert.strictEqual(version.gitVersion, env.FORTRESS_K8S_VERSION);
  });

  it("stops everything it started and leaves nothing behind", () => {
    takeDown();
    assert.deepStrictEqual(clusterLeftovers(env), []);
    const netnsAfter = fs.existsSync("/run/netns") ? fs.readdirSync("/run/netns") : [];
    // Pod namespaces (the CNI names them cni-<id>) and our own; other labs on the machine make theirs.
    const ours = (n: string) => n.startsWith("cni-") || n === env.FORTRESS_K8S_NETNS;
    assert.deepStrictEqual(
      netnsAfter.filter((n) => !netnsBefore.has(n) && ours(n)),
      [],
      "pod network namespaces left in /run/netns",
    );
  });
});
