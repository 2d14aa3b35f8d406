import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { K3sCluster, K3sClusterArgs } from "../../components/k3sCluster/k3sCluster";
import { HostArgs } from "../../components/host/hostArgs";
import { remote } from "@pulumi/command";
import { k3sConfig, planK3sJoin, renderYaml, restartSlotsManifest } from "../../sdk/k3s";
import { isSecret, settle, valueOf } from "../../sdk/testing/mocks";
import { assertNowhereInClear, dependsOnNames, mocks, recordOptions, registeredOptions } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nazNzLXRlc3Q=\n-----END OPENSSH PRIVATE KEY-----\n";

function host(name: string, publicAddress: string, fleet = false): HostArgs {
  return {
    name,
    connection: pulumi.secret({
      host: publicAddress,
      port: 22,
      user: "root",
      privateKey: KEY,
      dialErrorLimit: 10,
      perDialTimeout: 15,
    }),
    publicAddress,
    placement: fleet
      ? { provider: "aws", region: "eu-north-1" }
      : { country: "NO", provider: "coolvds", region: "no-oslo-1" },
  };
}

const fortress = (n: number) => Array.from({ length: n }, (_, i) => host(`osl-${i + 1}`, `185.1.2.${i + 1}`));
const addresses = {
  "osl-1": "10.100.0.1",
  "osl-2": "10.100.0.2",
  "osl-3": "10.100.0.3",
  "fleet-1": "10.100.0.9",
};
const VERSION = "v1.36.4+k3s1";

async function cluster(name: string, args: Partial<K3sClusterArgs>): Promise<K3sCluster> {
  const c = new K3sCluster(
    name,
    { servers: fortress(1), addresses, version: VERSION, ...args },
    { transformations: [recordOptions] },
  );
  await valueOf(c.kubeconfig);
  await settle();
  return c;
}

const create = (name: string) => mocks.named(name).inputs.create as string;
const scriptValueOf = (script: string, key: string) => {
  const start = script.indexOf(`\n${key}='`) + key.length + 3;
  return script.slice(start, script.indexOf("'", start));
};
const configOf = (name: string) => {
  const script = create(name);
  return script.slice(script.indexOf("CONFIG='") + 8, script.indexOf("'\nTOKEN_FILE="));
};

describe("K3sCluster", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  it("creates the token, install and configure steps per node, the kubeconfig and a provider", async () => {
    await cluster("k3s", { servers: fortress(1), agents: [host("fleet-1", "203.0.113.10", true)] });
    assert.deepStrictEqual(mocks.resources.map((r) => `${r.type} ${r.name}`).sort(), [
      "command:remote:Command k3s-fleet-1-configure",
      "command:remote:Command k3s-fleet-1-firewall",
      "command:remote:Command k3s-fleet-1-install",
      "command:remote:Command k3s-kubeconfig",
      "command:remote:Command k3s-osl-1-configure",
      "command:remote:Command k3s-osl-1-firewall",
      "command:remote:Command k3s-osl-1-install",
      "fortress:index:K3sCluster k3s",
      "pulumi:providers:kubernetes k3s-provider",
      "random:index/randomPassword:RandomPassword k3s-token",
    ]);
  });

  it("renders a single server's configuration as data: mesh IP, flannel on wg0, labels, no traefik", async () => {
    await cluster("k3s", {});
    assert.strictEqual(
      configOf("k3s-osl-1-configure"),
      [
        'advertise-address: "10.100.0.1"',
        "disable:",
        '  - "traefik"',
        'flannel-iface: "wg0"',
        "kube-apiserver-arg:",
        '  - "enable-admission-plugins=NodeRestriction,PodNodeSelector"',
        'node-external-ip: "185.1.2.1"',
        'node-ip: "10.100.0.1"',
        "node-label:",
        '  - "fortress.io/jurisdiction=no"',
        '  - "region=no"',
        '  - "topology.kubernetes.io/region=no-oslo-1"',
        'node-name: "osl-1"',
        "secrets-encryption: true",
        "tls-san:",
        '  - "10.100.0.1"',
        '  - "185.1.2.1"',
        'token-file: "/etc/rancher/k3s/token"',
        'write-kubeconfig-mode: "0600"',
        "",
      ].join("\n"),
    );
    assert.match(create("k3s-osl-1-install"), /VERSION='v1\.36\.4\+k3s1'/);
    assert.match(create("k3s-osl-1-install"), /INSTALL_SCRIPT_URL='https:\/\/get\.k3s\.io'/);
  });

  it("starts etcd on the first of three servers; the others and the agents join it over the mesh", async () => {
    const c = await cluster("ha", { servers: fortress(3), agents: [host("fleet-1", "203.0.113.10", true)] });
    assert.deepStrictEqual(await valueOf(c.joinOrder), ["osl-1", "osl-2", "osl-3", "fleet-1"]);
    assert.match(configOf("ha-osl-1-configure"), /^cluster-init: true$/m);
    assert.doesNotMatch(configOf("ha-osl-1-configure"), /^server:/m);
    for (const n of ["osl-2", "osl-3", "fleet-1"]) {
      assert.match(configOf(`ha-${n}-configure`), /^server: "https:\/\/10\.100\.0\.1:6443"$/m);
      assert.doesNotMatch(configOf(`ha-${n}-configure`), /cluster-init/);
    }
    const agent = configOf("ha-fleet-1-configure");
    assert.match(agent, /node-taint:\n {2}- "fortress\.io\/fleet=true:NoSchedule"/);
    assert.match(agent, /"region=global"/);
    assert.doesNotMatch(agent, /tls-san|disable|advertise-address/);
  });

  it("starts the servers one after another and every agent after the first server; installs wait for no one", async () => {
    const agents = ["fleet-1", "fleet-2"].map((n, i) => host(n, `203.0.113.${i + 10}`, true));
    await cluster("ha", {
      servers: fortress(3),
      agents,
      addresses: { ...addresses, "fleet-2": "10.100.0.8" },
    });
    for (const n of ["osl-1", "osl-2", "osl-3", "fleet-1", "fleet-2"])
      assert.deepStrictEqual(await dependsOnNames(`ha-${n}-install`), [], n);
    assert.deepStrictEqual(await dependsOnNames("ha-osl-1-configure"), [
      "ha-osl-1-firewall",
      "ha-osl-1-install",
    ]);
    assert.deepStrictEqual(await dependsOnNames("ha-osl-2-configure"), [
      "ha-osl-1-configure",
      "ha-osl-2-firewall",
      "ha-osl-2-install",
    ]);
    assert.deepStrictEqual(await dependsOnNames("ha-osl-3-configure"), [
      "ha-osl-2-configure",
      "ha-osl-3-firewall",
      "ha-osl-3-install",
    ]);
    for (const n of ["fleet-1", "fleet-2"])
      assert.deepStrictEqual(
        await dependsOnNames(`ha-${n}-configure`),
        [`ha-${n}-firewall`, `ha-${n}-install`, "ha-osl-1-configure"].sort(),
      );
    assert.deepStrictEqual(await dependsOnNames("ha-kubeconfig"), ["ha-osl-3-configure"]);
  });

  it("starts k3s after the mesh steps it is given, while the installs run meanwhile", async () => {
    const meshStep = new remote.Command("mesh-osl-1-config", {
      connection: { host: "185.1.2.1" },
      create: "true",
    });
    await cluster("k3s", { meshReady: [meshStep] });
    assert.deepStrictEqual(await dependsOnNames("k3s-osl-1-install"), []);
    assert.deepStrictEqual(await dependsOnNames("k3s-osl-1-firewall"), ["mesh-osl-1-config"]);
    assert.deepStrictEqual(await dependsOnNames("k3s-osl-1-configure"), [
      "k3s-osl-1-firewall",
      "k3s-osl-1-install",
      "mesh-osl-1-config",
    ]);
  });

  it("renders the restart policy into every node's start: the release, and a fifth of the agents as slots", async () => {
    const agents = Array.from({ length: 12 }, (_, i) => host(`fleet-${i + 1}`, `203.0.113.${i + 10}`, true));
    const many = {
      ...addresses,
      ...Object.fromEntries(agents.map((a, i) => [a.name, `10.100.0.${i + 20}`])),
    };
    await cluster("ha", { servers: fortress(3), agents, addresses: many });
    const agent = create("ha-fleet-7-configure");
    assert.strictEqual(scriptValueOf(agent, "VERSION"), VERSION);
    assert.strictEqual(scriptValueOf(agent, "ROLE"), "agent");
    assert.strictEqual(scriptValueOf(agent, "SLOTS"), "2");
    assert.strictEqual(scriptValueOf(agent, "SERVERS"), "osl-1 osl-2 osl-3");
    // Every round of agents before it and every server may take a full ready timeout.
    assert.strictEqual(scriptValueOf(agent, "SLOT_TIMEOUT"), String((6 + 3) * 300));
    assert.strictEqual(scriptValueOf(agent, "MANIFEST"), "");
    assert.strictEqual(scriptValueOf(create("ha-osl-1-configure"), "MANIFEST"), restartSlotsManifest());
    mocks.reset();
    await cluster("ha", { servers: fortress(3), agents, addresses: many, agentRestartBatch: 5 });
    assert.strictEqual(scriptValueOf(create("ha-fleet-7-configure"), "SLOTS"), "5");
  });

  it("keeps the token and the kubeconfig secret: stdin only, never in a script", async () => {
    const c = await cluster("k3s", {});
    const token = mocks.named("k3s-osl-1-configure").inputs.stdin as string;
    const configure = mocks.named("k3s-osl-1-configure");
    assert.ok(configure.secretInputs.includes("stdin"));
    assert.ok(!configure.secretInputs.includes("create"));
    assert.match(token, /^password-k3s-token-\d+\n$/);
    await assertNowhereInClear(token.trim());
    assert.strictEqual(await isSecret(c.kubeconfig), true);
    const kube = mocks.named("k3s-kubeconfig");
    assert.strictEqual(kube.inputs.logging, "stderr");
    const secretOutputs = (registeredOptions.get("k3s-kubeconfig") as pulumi.CustomResourceOptions)
      .additionalSecretOutputs;
    assert.ok(secretOutputs?.includes("stdout"), String(secretOutputs));
    assert.deepStrictEqual(mocks.named("k3s-provider").secretInputs, ["kubeconfig"]);
  });

  it("installs air-gapped from the mirror the user names", async () => {
    await cluster("k3s", { mirror: { url: "https://mirror.example.no/k3s/" } });
    assert.match(create("k3s-osl-1-install"), /MIRROR='https:\/\/mirror\.example\.no\/k3s'/);
  });

  describe("bad input fails at preview", () => {
    const fails = (args: Partial<K3sClusterArgs>, message: string) =>
      assert.throws(
        () => new K3sCluster("bad", { servers: fortress(1), addresses, version: VERSION, ...args }),
        { message },
      );

    it("no servers", () => fails({ servers: [] }, "servers: needs at least one server node"));
    it("an even number of servers above one", () =>
      fails(
        { servers: fortress(2) },
        "servers: has 2 nodes; embedded etcd needs an odd number (1, 3, 5...) to keep a quorum through a failure",
      ));
    it("an invalid version", () =>
      fails(
        { version: "1.31" },
        'version: "1.31" is not a k3s release; pin one such as "v1.36.4+k3s1" (see the k3s releases page)',
      ));
    it("a node twice", () =>
      fails(
        { agents: [host("osl-1", "185.1.2.1")] },
        'agents[0].name: "osl-1" is in the cluster twice; a node is a server or an agent, once',
      ));
    it("a server on a Fleet node, naming the rule and the node", () =>
      assert.throws(
        () =>
          new K3sCluster("bad", {
            servers: [host("fleet-1", "203.0.113.10", true)],
            addresses,
            version: VERSION,
          }),
        (e: Error) => {
          assert.match(
            e.message,
            /^servers: residency rule control-plane-location: Kubernetes control plane "bad" runs a server on node "fleet-1" in Sweden/,
          );
          return true;
        },
      ));
  });
});

describe("k3s join plan and configuration (pure)", () => {
  it("orders servers first, each after the one before; agents after the first server; only an HA first server inits", () => {
    assert.deepStrictEqual(planK3sJoin(["a"], ["x"]), [
      { name: "a", role: "server", clusterInit: false },
      { name: "x", role: "agent", clusterInit: false, joins: "a", after: "a" },
    ]);
    assert.deepStrictEqual(
      planK3sJoin(["a", "b", "c"], ["x", "y"]).map((p) => [p.name, p.clusterInit, p.joins, p.after]),
      [
        ["a", true, undefined, undefined],
        ["b", false, "a", "a"],
        ["c", false, "a", "b"],
        ["x", false, "a", "a"],
        ["y", false, "a", "a"],
      ],
    );
  });

  it("renders YAML deterministically whatever the key order", () => {
    const plan = planK3sJoin(["a"], [])[0];
    const settings = {
      plan,
      meshAddress: "10.100.0.1",
      publicAddress: "192.0.2.1",
      meshInterface: "wg0",
      labels: { b: "2", a: "1" },
      taints: [],
      tlsSans: ["x", "x"],
      disable: [],
      tokenFile: "/t",
    };
    const yaml = renderYaml(k3sConfig(settings));
    assert.strictEqual(yaml, renderYaml(k3sConfig({ ...settings, labels: { a: "1", b: "2" } })));
    assert.match(yaml, /tls-san:\n {2}- "x"\nt/);
  });

  describe("on a zoned mesh", () => {
    const dropIn = (name: string) => {
      const script = create(name);
      return script.slice(script.indexOf("DROPIN='") + 8, script.indexOf("'\n\n# --- fortress common"));
    };

    it("opens the API and flannel's VXLAN to every node, the Fleet included; the kubelet and etcd to the servers only", async () => {
      await cluster("ha", { servers: fortress(3), agents: [host("fleet-1", "203.0.113.10", true)] });
      const server = dropIn("ha-osl-1-firewall");
      const elements = (set: string) =>
        new RegExp(`set mesh_ha_${set} \\{[^}]*elements = \\{ ([^}]*) \\}`).exec(server)?.[1];
      assert.strictEqual(elements("k3s_api"), "10.100.0.2, 10.100.0.3, 10.100.0.9");
      assert.strictEqual(elements("flannel_vxlan"), "10.100.0.2, 10.100.0.3, 10.100.0.9");
      assert.strictEqual(elements("kubelet"), "10.100.0.2, 10.100.0.3");
      assert.strictEqual(elements("etcd"), "10.100.0.2, 10.100.0.3");
      assert.match(server, /@mesh_ha_etcd tcp dport 2379-2380 accept/);
      assert.match(server, /@mesh_ha_flannel_vxlan udp dport 8472 accept/);
      // On an agent: no API, no etcd; its kubelet answers the servers.
      const agent = dropIn("ha-fleet-1-firewall");
      assert.doesNotMatch(agent, /6443|2379/);
      assert.match(
        agent,
        /set mesh_ha_kubelet \{[^}]*elements = \{ 10\.100\.0\.1, 10\.100\.0\.2, 10\.100\.0\.3 \}/,
      );
      assert.strictEqual(
        scriptValueOf(create("ha-osl-1-firewall"), "DROPIN_FILE"),
        "/etc/fortress/firewall.d/20-k3s-ha.nft",
      );
    });
  });
});
