import * as assert from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { KvmNode } from "../../components/kvmNode/kvmNode";
import { WireGuardMesh, WireGuardMeshArgs } from "../../components/wireGuardMesh/wireGuardMesh";
import { InputProblems } from "../../sdk/errors";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { parseIpv4Cidr, planMeshAddresses, renderWireGuardConfig } from "../../sdk/wireguard";
import { mocks, recordOptions, registeredOptions } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nbWVzaC10ZXN0\n-----END OPENSSH PRIVATE KEY-----\n";

function node(name: string, host: string, provider = "coolvds"): KvmNode {
  return new KvmNode(
    name,
    provider === "aws"
      ? { placement: { provider: "aws", region: "eu-north-1" }, ec2: { adminCidr: "198.51.100.0/24" } }
      : { placement: { country: "NO", provider }, existing: { host, privateKey: pulumi.secret(KEY) } },
  );
}

async function mesh(name: string, args: WireGuardMeshArgs): Promise<WireGuardMesh> {
  const m = new WireGuardMesh(name, args, { transformations: [recordOptions] });
  await valueOf(m.publicKeys);
  await Promise.all(args.nodes.map((n) => valueOf(m.appliedOn(n.name).stdout)));
  await settle();
  return m;
}

const create = (name: string) => mocks.named(name).inputs.create as string;
const network = (cidr: string) => {
  const p = new InputProblems();
  const n = parseIpv4Cidr(cidr, p, "cidr");
  p.throwIfAny("test");
  return n!;
};
const plan = (names: string[], cidr = "10.100.0.0/24", pinned: Record<string, string> = {}) => {
  const p = new InputProblems();
  const a = planMeshAddresses(names, network(cidr), pinned, p, (n) => `addresses["${n}"]`);
  p.throwIfAny("mesh");
  return a;
};

describe("WireGuardMesh", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  it("makes a key and a configuration on every node, and nothing else", async () => {
    const nodes = [node("osl-1", "185.1.2.1"), node("osl-2", "185.1.2.2"), node("fleet-1", "", "aws")];
    mocks.reset();
    await mesh("mesh", { nodes: nodes.map((n) => n.host()) });
    assert.deepStrictEqual(
      mocks.resources
        .filter((r) => r.name.startsWith("mesh"))
        .map((r) => `${r.type} ${r.name}`)
        .sort(),
      [
        // The Fleet node's security group opens the mesh port; its own firewall does for the others.
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule mesh-fleet-1-mesh-ipv4",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule mesh-fleet-1-mesh-ipv6",
        "command:remote:Command mesh-fleet-1-config",
        "command:remote:Command mesh-fleet-1-key",
        "command:remote:Command mesh-osl-1-config",
        "command:remote:Command mesh-osl-1-key",
        "command:remote:Command mesh-osl-2-config",
        "command:remote:Command mesh-osl-2-key",
        "fortress:index:WireGuardMesh mesh",
      ],
    );
  });

  it("keeps hand-made host connections secret in its own inputs", async () => {
    const plain = (name: string, host: string) => ({
      name,
      connection: { host, port: 22, user: "root", privateKey: KEY, dialErrorLimit: 10, perDialTimeout: 15 },
      publicAddress: host,
      placement: { country: "NO", provider: "coolvds" },
    });
    await mesh("mesh", { nodes: [plain("a", "192.0.2.1"), plain("b", "192.0.2.2")] });
    assert.deepStrictEqual(mocks.named("mesh").secretInputs, ["nodes"]);
    assert.deepStrictEqual(mocks.named("mesh-a-config").secretInputs, ["connection"]);
  });

  it("generates keys on the hosts after each node is ready, with the connection secret", async () => {
    const nodes = [node("osl-1", "185.1.2.1"), node("osl-2", "185.1.2.2")];
    await mesh("mesh", { nodes: nodes.map((n) => n.host()) });
    const keygen = mocks.named("mesh-osl-1-key");
    assert.deepStrictEqual(keygen.secretInputs, ["connection"]);
    assert.match(create("mesh-osl-1-key"), /wg genkey/);
    assert.match(create("mesh-osl-1-key"), /'fortress-wireguard-keygen'$/);
    const deps = registeredOptions.get("mesh-osl-1-key")?.dependsOn as pulumi.Resource[];
    assert.match(await valueOf(deps[0].urn), /::osl-1-firewall-confirm$/);
  });

  it("renders every node's configuration with all other nodes as peers, and no private key", async () => {
    const nodes = [node("osl-1", "185.1.2.1"), node("osl-2", "185.1.2.2"), node("osl-3", "185.1.2.3")];
    const m = await mesh("mesh", { nodes: nodes.map((n) => n.host()) });
    const addresses = await valueOf(m.addresses);
    const keys = await valueOf(m.publicKeys);
    assert.deepStrictEqual(await valueOf(m.peers), {
      "osl-1": ["osl-2", "osl-3"],
      "osl-2": ["osl-1", "osl-3"],
      "osl-3": ["osl-1", "osl-2"],
    });
    const script = create("mesh-osl-1-config");
    assert.ok(script.includes(`Address = ${addresses["osl-1"]}/24\nListenPort = 51820\n`));
    assert.ok(
      script.includes(
        `# osl-2\n[Peer]\nPublicKey = ${keys["osl-2"]}\nAllowedIPs = ${addresses["osl-2"]}/32\nEndpoint = 185.1.2.2:51820\n`,
      ),
    );
    assert.doesNotMatch(script, /# osl-1\n\[Peer\]/);
    assert.doesNotMatch(script, /PrivateKey = [A-Za-z0-9+/]/);
    assert.deepStrictEqual(new Set(Object.values(addresses)).size, 3);
    for (const k of Object.values(keys)) assert.match(k, /^[A-Za-z0-9+/]{43}=$/);
  });

  it("sends keepalives on every link of a node behind NAT, which needs no endpoint", async () => {
    const nodes = [node("osl-1", "185.1.2.1"), node("home", "192.0.2.50"), node("osl-2", "185.1.2.2")];
    await mesh("mesh", { nodes: nodes.map((n) => n.host()), natNodes: ["home"] });
    const onOsl1 = create("mesh-osl-1-config");
    const homePeer = onOsl1.slice(onOsl1.indexOf("# home\n"), onOsl1.indexOf("# osl-2\n"));
    assert.doesNotMatch(homePeer, /Endpoint/);
    assert.match(homePeer, /PersistentKeepalive = 25\n/);
    const osl2Peer = onOsl1.slice(onOsl1.indexOf("# osl-2\n"));
    assert.doesNotMatch(osl2Peer.split("FORTRESS")[0].split("'\n")[0], /PersistentKeepalive/);
    assert.match(
      create("mesh-home-config"),
      /# osl-1\n\[Peer\]\n.*\n.*\nEndpoint = 185\.1\.2\.1:51820\nPersistentKeepalive = 25\n/,
    );
  });

  it("gives each node the configuration renderWireGuardConfig makes of its peers, NAT and IPv6 included", async () => {
    // Out of name order, one node behind NAT, one reached over IPv6: every kind of peer section.
    const hosts: Record<string, string> = {
      "osl-3": "185.1.2.3",
      "home-1": "192.0.2.50",
      "osl-10": "2001:db8::10",
      "osl-1": "185.1.2.1",
      "dr-1": "185.1.2.9",
    };
    const nodes = Object.entries(hosts).map(([n, h]) => node(n, h));
    const m = await mesh("mesh", { nodes: nodes.map((n) => n.host()), natNodes: ["home-1"] });
    const addresses = await valueOf(m.addresses);
    const keys = await valueOf(m.publicKeys);
    for (const self of Object.keys(hosts)) {
      const peers = Object.keys(hosts)
        .filter((o) => o !== self)
        .map((o) => ({
          name: o,
          publicKey: keys[o],
          address: addresses[o],
          endpoint: o === "home-1" ? undefined : o === "osl-10" ? `[${hosts[o]}]:51820` : `${hosts[o]}:51820`,
          persistentKeepalive: o === "home-1" || self === "home-1" ? 25 : undefined,
        }));
      const config = renderWireGuardConfig(
        { name: self, address: addresses[self], prefix: 24, listenPort: 51820 },
        peers,
      );
      assert.ok(create(`mesh-${self}-config`).includes(`CONFIG='${config}'`), self);
    }
  });

  it("adding a node changes the others' peer lists, keeps their addresses and replaces nothing", async () => {
    const three = [node("osl-1", "185.1.2.1"), node("osl-2", "185.1.2.2"), node("osl-3", "185.1.2.3")];
    const before = await mesh("m1", { nodes: three.map((n) => n.host()) });
    const beforeInputs = Object.fromEntries(
      mocks.resources.map((r) => [r.name.replace(/^m1/, ""), r.inputs]),
    );
    const after = await mesh("m2", { nodes: [...three, node("osl-4", "185.1.2.4")].map((n) => n.host()) });
    const afterAddresses = await valueOf(after.addresses);
    for (const [n, a] of Object.entries(await valueOf(before.addresses)))
      assert.strictEqual(afterAddresses[n], a);
    for (const n of ["osl-1", "osl-2", "osl-3"]) {
      // The key step is untouched; the configuration is an in-place update (no trigger to replace it).
      assert.deepStrictEqual(mocks.named(`m2-${n}-key`).inputs, beforeInputs[`-${n}-key`]);
      assert.notStrictEqual(
        create(`m2-${n}-config`),
        (beforeInputs[`-${n}-config`] as { create: string }).create,
      );
      assert.strictEqual(mocks.named(`m2-${n}-config`).inputs.triggers, undefined);
      assert.match(create(`m2-${n}-config`), /# osl-4\n\[Peer\]/);
    }
  });

  it("rotates one node's key when its key generation goes up, and no other node's", async () => {
    const nodes = [node("osl-1", "185.1.2.1"), node("osl-2", "185.1.2.2")];
    mocks.reset();
    await mesh("mesh", { nodes: nodes.map((n) => n.host()), keyGenerations: { "osl-2": 3 } });
    assert.match(create("mesh-osl-2-key"), /^GENERATION='3'$/m);
    assert.match(create("mesh-osl-1-key"), /^GENERATION='0'$/m);
    // A rotation is an update of the same command: no trigger, so the key step is not replaced (a
    // replacement would run its delete, which removes the key).
    assert.strictEqual(mocks.named("mesh-osl-2-key").inputs.triggers, undefined);
  });

  describe("bad input fails at preview", () => {
    const hosts = () => [node("osl-1", "185.1.2.1"), node("osl-2", "185.1.2.2")].map((n) => n.host());
    const fails = (args: WireGuardMeshArgs, message: string) =>
      assert.throws(() => new WireGuardMesh("bad", args), { message });

    it("a CIDR too small", () =>
      fails(
        { nodes: [...hosts(), node("osl-3", "185.1.2.3").host()], cidr: "10.100.0.0/30" },
        'cidr: "10.100.0.0/30" has room for 2 nodes, not 3; use a larger range',
      ));
    it("a CIDR that is not one", () =>
      fails(
        { nodes: hosts(), cidr: "10.100.0/24" },
        'cidr: "10.100.0/24" is not an IPv4 CIDR; use a private range such as "10.100.0.0/24"',
      ));
    it("an address out of range", () =>
      fails(
        { nodes: hosts(), addresses: { "osl-1": "10.200.0.1" } },
        'addresses["osl-1"]: "10.200.0.1" is not a host address of the mesh; use 10.100.0.1 to 10.100.0.254',
      ));
    it("the network or broadcast address", () =>
      fails(
        { nodes: hosts(), addresses: { "osl-1": "10.100.0.255" } },
        'addresses["osl-1"]: "10.100.0.255" is not a host address of the mesh; use 10.100.0.1 to 10.100.0.254',
      ));
    it("a duplicate address", () =>
      fails(
        { nodes: hosts(), addresses: { "osl-1": "10.100.0.9", "osl-2": "10.100.0.9" } },
        'addresses["osl-2"]: node "osl-2" would get 10.100.0.9, which node "osl-1" has; pin one of them to a free address, e.g. "10.100.0.254"',
      ));
    it("an address for a node that is not in the mesh", () =>
      fails(
        { nodes: hosts(), addresses: { "osl-9": "10.100.0.9" } },
        'addresses["osl-9"]: names no node of the mesh; nodes are osl-1, osl-2',
      ));
    it("a duplicate node", () =>
      fails(
        { nodes: [...hosts(), hosts()[0]] },
        'nodes[2].name: "osl-1" is in the mesh twice; each node joins once',
      ));
    it("a port out of range", () =>
      fails(
        { nodes: hosts(), listenPort: 65536 },
        "listenPort: 65536 is not a valid port; use a whole number from 1 to 65535",
      ));
    it("a cloud firewall given by hand without its group or region", () =>
      assert.throws(
        () =>
          new WireGuardMesh("bad", {
            nodes: [{ ...hosts()[0], cloudFirewall: { region: 7 } as never }, hosts()[1]],
          }),
        (e: Error) =>
          e.message.includes(
            'nodes[0].cloudFirewall.securityGroupId: is required: the security group id, e.g. "sg-0123456789abcdef0"',
          ) &&
          e.message.includes('nodes[0].cloudFirewall.region: must be a string such as "eu-north-1", not 7'),
      ));
    it("no nodes", () =>
      fails({ nodes: [] }, "nodes: is empty; give the nodes to join (`node.host()` of each KvmNode)"));
    it("a key generation for a node that is not there, or not a whole number", () =>
      fails(
        { nodes: hosts(), keyGenerations: { "osl-9": 1, "osl-1": 1.5 } },
        [
          'WireGuardMesh "bad" has 2 invalid inputs:',
          '  - keyGenerations["osl-9"]: "osl-9" is not a node of the mesh',
          '  - keyGenerations["osl-1"]: 1.5 is not a key generation; use a whole number from 0 (the first key) to 1000000',
        ].join("\n"),
      ));
  });
});

describe("mesh addresses", () => {
  it("are unique, inside the CIDR, and never move when nodes come or go (property)", () => {
    const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    fc.assert(
      fc.property(fc.uniqueArray(name, { minLength: 1, maxLength: 12 }), name, (names, extra) => {
        fc.pre(!names.includes(extra));
        let before: Record<string, string>;
        let after: Record<string, string>;
        try {
          before = plan(names, "10.100.0.0/16");
          after = plan([...names, extra], "10.100.0.0/16");
        } catch {
          return true; // a collision is an error asking to pin an address, never a renumbering
        }
        const values = Object.values(after);
        assert.strictEqual(new Set(values).size, values.length);
        for (const a of values) assert.match(a, /^10\.100\.\d+\.\d+$/);
        for (const n of names) assert.strictEqual(after[n], before[n]);
        const removed = plan(names.slice(1), "10.100.0.0/16");
        for (const n of names.slice(1)) assert.strictEqual(removed[n], before[n]);
        return true;
      }),
    );
  });

  it("respect pinned addresses", () => {
    assert.strictEqual(plan(["a", "b"], "10.100.0.0/24", { a: "10.100.0.1" }).a, "10.100.0.1");
  });

  it("render deterministically, peers sorted by name", () => {
    const self = { name: "a", address: "10.100.0.1", prefix: 24, listenPort: 51820 };
    const peers = [
      { name: "c", publicKey: "C", address: "10.100.0.3", endpoint: "[2001:db8::3]:51820" },
      {
        name: "b",
        publicKey: "B",
        address: "10.100.0.2",
        endpoint: "192.0.2.2:51820",
        persistentKeepalive: 25,
      },
    ];
    assert.strictEqual(
      renderWireGuardConfig(self, peers),
      [
        "# Managed by Fortress (WireGuardMesh), node a. The apply script adds PrivateKey on the host.",
        "[Interface]",
        "Address = 10.100.0.1/24",
        "ListenPort = 51820",
        "",
        "# b",
        "[Peer]",
        "PublicKey = B",
        "AllowedIPs = 10.100.0.2/32",
        "Endpoint = 192.0.2.2:51820",
        "PersistentKeepalive = 25",
        "",
        "# c",
        "[Peer]",
        "PublicKey = C",
        "AllowedIPs = 10.100.0.3/32",
        "Endpoint = [2001:db8::3]:51820",
        "",
      ].join("\n"),
    );
    assert.strictEqual(renderWireGuardConfig(self, [...peers].reverse()), renderWireGuardConfig(self, peers));
  });
});
