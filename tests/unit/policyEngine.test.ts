// The pack against real components, fed as the engine feeds it: the component's args as the mocks
// saw them (what the engine stores as its inputs) for the resource policy, and exactly what the
// component passed to registerOutputs for the stack policies. Under the real engine a stack policy
// sees nothing else of a component: before issue 11 GtidMySql and K3sCluster registered no
// placements, so the pack missed a replica in Germany and blocked a sound cluster.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ArgoBootstrap } from "../../components/argoBootstrap/argoBootstrap";
import { GtidMySql } from "../../components/gtidMySql/gtidMySql";
import { K3sCluster } from "../../components/k3sCluster/k3sCluster";
import { HostArgs } from "../../components/host/hostArgs";
import { OpenFaasPlatform } from "../../components/openFaasPlatform/openFaasPlatform";
import { programFacts } from "../../sdk/policy/facts";
import { EnforcementLevel } from "../../sdk/residency";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { EngineResource, UNKNOWN, runPack, wire } from "./packHarness";
import { mocks, testK8sProvider } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\ncG9saWN5LWVuZ2luZQ==\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, address: string, placement: HostArgs["placement"]): HostArgs => ({
  name,
  connection: pulumi.secret({
    host: address,
    port: 22,
    user: "root",
    privateKey: KEY,
    dialErrorLimit: 10,
    perDialTimeout: 15,
  }),
  publicAddress: address,
  placement,
});
const osl = (n: number) => host(`osl-${n}`, `185.1.2.${n}`, { country: "NO", provider: "coolvds" });
const fsn = host("fsn-1", "88.99.1.1", { country: "DE", provider: "hetzner", site: "Falkenstein" });
const fleet = host("fleet-1", "203.0.113.10", { provider: "aws", region: "eu-north-1" });
const addresses = {
  "osl-1": "10.100.0.1",
  "osl-2": "10.100.0.2",
  "fsn-1": "10.100.0.3",
  "fleet-1": "10.100.0.9",
};

// What each component passes to registerOutputs, by the component object.
const registered = new Map<pulumi.ComponentResource, pulumi.Inputs>();
type Registering = { registerOutputs(this: pulumi.ComponentResource, outputs?: pulumi.Inputs): void };
const proto = pulumi.ComponentResource.prototype as unknown as Registering;
// Called with the component as `this` below.
// eslint-disable-next-line @typescript-eslint/unbound-method
const original = proto.registerOutputs;

/** A component as the engine knows it: its recorded inputs, and its registered outputs in wire form. */
async function asEngineSees(
  c: pulumi.ComponentResource,
  type: string,
  name: string,
): Promise<EngineResource> {
  await settle();
  const outputs = await pulumi.runtime.serializeProperties("test", registered.get(c) ?? {});
  return { type, name, inputs: mocks.named(name).inputs, outputs };
}

describe("the policy pack on what the engine sends for real components", () => {
  before(() => {
    proto.registerOutputs = function (this: pulumi.ComponentResource, outputs?: pulumi.Inputs) {
      // Only the first call counts, as in the SDK: the base class calls it again, with nothing.
      if (!registered.has(this)) registered.set(this, outputs ?? {});
      original.call(this, outputs);
    };
  });
  after(() => {
    proto.registerOutputs = original;
  });
  beforeEach(() => mocks.reset());

  it("sees a MySQL replica in Germany in the outputs (stack) and the args (before create)", async () => {
    // Advisory in the component, as in the issue: only the pack stands between the replica and Germany.
    const advisory = {
      "personal-data-location": EnforcementLevel.Advisory,
      "replication-target": EnforcementLevel.Advisory,
    };
    const db = new GtidMySql("db", {
      primary: osl(1),
      replicas: [fsn],
      addresses,
      residency: { enforcement: advisory },
    });
    await valueOf(db.primaryEndpoint);
    const found = await runPack([await asEngineSees(db, "fortress:index:GtidMySql", "db")]);
    const location =
      'MySQL replica "db/fsn-1" holds personal data on node "fsn-1" in Germany (Hetzner Online, legal seat Germany); ' +
      'the residency policy allows personal data only in Norway. Move MySQL replica "db/fsn-1" from node "fsn-1" to ' +
      "a node in Norway, or keep only internal or public data in it.";
    const target =
      'Flow "db replication to fsn-1" sends personal data to node "fsn-1" in Germany (Hetzner Online, legal seat ' +
      "Germany), which may not hold it: Germany is not an allowed country (allowed: Norway). Send personal data only " +
      "to nodes in Norway whose provider has its legal seat in the EEA or in a country with a full EU adequacy " +
      "decision and is under no foreign access law (e.g. CoolVDS in Norway), or send only internal or public data " +
      'to node "fsn-1".';
    assert.deepStrictEqual(found, [
      `fortress-personal-data-location [db] ${location}`,
      `fortress-replication-target [db] ${target}`,
      `fortress-residency-before-create [db] personal-data-location: ${location}`,
      `fortress-residency-before-create [db] replication-target: ${target}`,
    ]);
    assert.ok(!found.join("\n").includes("PRIVATE KEY"), "a secret in a message");
  });

  it("passes a cluster with its servers in the Fortress and a Fleet agent (no unknown-node false block)", async () => {
    const k3s = new K3sCluster("k3s", {
      servers: [osl(1)],
      agents: [fleet],
      addresses,
      version: "v1.31.4+k3s1",
    });
    await valueOf(k3s.kubeconfig);
    assert.deepStrictEqual(await runPack([await asEngineSees(k3s, "fortress:index:K3sCluster", "k3s")]), []);
  });

  it("still judges at preview, when the engine sends addresses and connections as unknown", async () => {
    const advisory = {
      "personal-data-location": EnforcementLevel.Advisory,
      "replication-target": EnforcementLevel.Advisory,
    };
    const db = new GtidMySql("db", {
      primary: osl(1),
      replicas: [fsn],
      addresses,
      residency: { enforcement: advisory },
    });
    await valueOf(db.primaryEndpoint);
    const seen = await asEngineSees(db, "fortress:index:GtidMySql", "db");
    const unknownHost = (h: unknown) => ({ ...(h as object), publicAddress: UNKNOWN, connection: UNKNOWN });
    const inputs = seen.inputs as { primary: unknown; replicas: unknown[]; addresses: unknown };
    const atPreview: EngineResource = {
      ...seen,
      inputs: {
        ...inputs,
        addresses: UNKNOWN,
        primary: unknownHost(inputs.primary),
        replicas: inputs.replicas.map(unknownHost),
      },
      outputs: { ...seen.outputs, primaryEndpoint: UNKNOWN, replicaEndpoints: UNKNOWN },
    };
    assert.deepStrictEqual(
      (await runPack([atPreview])).map((f) => f.split(":")[0]),
      [
        'fortress-personal-data-location [db] MySQL replica "db/fsn-1" holds personal data on node "fsn-1" in Germany (Hetzner Online, legal seat Germany); the residency policy allows personal data only in Norway. Move MySQL replica "db/fsn-1" from node "fsn-1" to a node in Norway, or keep only internal or public data in it.',
        'fortress-replication-target [db] Flow "db replication to fsn-1" sends personal data to node "fsn-1" in Germany (Hetzner Online, legal seat Germany), which may not hold it',
        "fortress-residency-before-create [db] personal-data-location",
        "fortress-residency-before-create [db] replication-target",
      ],
    );
  });

  it("names a component that registered no facts instead of passing it", async () => {
    const found = await runPack([
      {
        type: "fortress:index:GtidMySql",
        name: "old",
        inputs: {},
        outputs: { primaryEndpoint: "10.0.0.1:3306" },
      },
    ]);
    assert.deepStrictEqual(found, [
      'fortress-unknown-node [old] fortress:index:GtidMySql "old" registered no residency facts (its "residency" output), so where it puts data cannot be checked; upgrade Fortress, or run the pack on the resource\'s inputs (resource validation).',
    ]);
  });

  it("asks no facts of the mesh, and names a platform component that registered none", async () => {
    // As the real `up` of the lab stack sent it: WireGuardMesh's outputs hold addresses and keys.
    const found = await runPack([
      {
        type: "fortress:index:WireGuardMesh",
        name: "mesh",
        inputs: {},
        outputs: { addresses: { alfa: "10.100.0.192" }, cidr: "10.100.0.0/24", interfaceName: "wg0" },
      },
      { type: "fortress:index:OpenFaasPlatform", name: "openfaas", inputs: {}, outputs: { gatewayUrl: "x" } },
    ]);
    assert.deepStrictEqual(found, [
      'fortress-unknown-node [openfaas] fortress:index:OpenFaasPlatform "openfaas" registered no residency facts (its "residency" output), so where it puts data cannot be checked; upgrade Fortress, or run the pack on the resource\'s inputs (resource validation).',
    ]);
  });

  it("reads the same platform facts from what OpenFaasPlatform and ArgoBootstrap register and from their args", async () => {
    const cluster = new K3sCluster("k3s", {
      servers: [osl(1)],
      agents: [fleet],
      addresses,
      version: "v1.31.4+k3s1",
    });
    const opts = { provider: testK8sProvider() };
    const openfaas = new OpenFaasPlatform("openfaas", {}, opts);
    const argo = new ArgoBootstrap(
      "argo",
      { repoUrl: "git@github.com:org/infra.git", path: "apps/prod" },
      opts,
    );
    const seen = [
      await asEngineSees(cluster, "fortress:index:K3sCluster", "k3s"),
      await asEngineSees(openfaas, "fortress:index:OpenFaasPlatform", "openfaas"),
      await asEngineSees(argo, "fortress:index:ArgoBootstrap", "argo"),
    ];
    // Pinned to region=no by their namespaces: nothing to report, with a Fleet agent in the cluster.
    assert.deepStrictEqual(await runPack(seen), []);
    const read = (kind: "outputs" | "inputs") =>
      programFacts(
        seen.map((r) => ({ type: r.type, name: r.name, urn: r.name, props: wire(r[kind] ?? r.inputs) })),
        kind,
      ).deployment;
    const [fromOutputs, fromInputs] = [read("outputs"), read("inputs")];
    assert.deepStrictEqual(fromOutputs.workloads, fromInputs.workloads);
    assert.deepStrictEqual(fromOutputs.targets, fromInputs.targets);
    assert.deepStrictEqual(
      fromOutputs.workloads?.map((w) => [w.name, w.dataClass, w.requiredNodeLabels]),
      [
        ["openfaas/openfaas", "personal", { region: "no" }],
        ["openfaas/openfaas-fn", "personal", { region: "no" }],
        ["argo/argocd", "special", { region: "no" }],
        ["argo/sealed-secrets", "special", { region: "no" }],
      ],
    );
    assert.deepStrictEqual(
      fromOutputs.targets?.map((t) => [t.name, t.source, t.destination]),
      [
        [
          "argo/infrastructure-root",
          "git@github.com:org/infra.git, path apps/prod, revision HEAD",
          "https://kubernetes.default.svc (the cluster Argo CD runs in), namespace argocd",
        ],
      ],
    );
  });

  it("judges the GtidMySql args the real engine sent at preview (recorded on the lab)", async () => {
    const recorded = JSON.parse(
      fs.readFileSync(path.join(__dirname, "../fixtures/engine-feed/lab-preview-db.json"), "utf8"),
    ) as {
      type: string;
      name: string;
      props: { replicas: { placement: unknown }[] } & Record<string, unknown>;
    };
    const atPreview = (props: Record<string, unknown>): EngineResource => ({
      type: recorded.type,
      name: recorded.name,
      inputs: props,
      outputs: {},
    });
    const onlyBeforeCreate = (found: string[]) =>
      found.filter((f) => f.startsWith("fortress-residency-before-create"));
    assert.deepStrictEqual(onlyBeforeCreate(await runPack([atPreview(recorded.props)])), []);
    const moved = {
      ...recorded.props,
      replicas: recorded.props.replicas.map((r, i) =>
        i === 0 ? { ...r, placement: { country: "DE", provider: "hetzner" } } : r,
      ),
    };
    assert.deepStrictEqual(onlyBeforeCreate(await runPack([atPreview(moved)])), [
      'fortress-residency-before-create [db] personal-data-location: MySQL replica "db/bravo" holds personal data on node "bravo" in Germany (Hetzner Online, legal seat Germany); the residency policy allows personal data only in Norway. Move MySQL replica "db/bravo" from node "bravo" to a node in Norway, or keep only internal or public data in it.',
      'fortress-residency-before-create [db] replication-target: Flow "db replication to bravo" sends personal data to node "bravo" in Germany (Hetzner Online, legal seat Germany), which may not hold it: Germany is not an allowed country (allowed: Norway). Send personal data only to nodes in Norway whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is under no foreign access law (e.g. CoolVDS in Norway), or send only internal or public data to node "bravo".',
    ]);
  });
});
