import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { KvmNode, KvmNodeArgs, amiArchitecture } from "../../components/kvmNode/kvmNode";
import { isSecret, settle, valueOf } from "../../sdk/testing/mocks";
import { assertNowhereInClear, mocks, recordOptions, registeredOptions } from "./setup";

const PRIVATE_KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAAtest\n-----END OPENSSH PRIVATE KEY-----\n";

const coolvds = (overrides: Partial<KvmNodeArgs> = {}): KvmNodeArgs => ({
  placement: { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" },
  existing: { host: "185.1.2.3", privateKey: pulumi.secret(PRIVATE_KEY) },
  ...overrides,
});

const fleet = (overrides: Partial<KvmNodeArgs> = {}): KvmNodeArgs => ({
  placement: { provider: "aws", region: "eu-north-1" },
  ec2: { adminCidr: "198.51.100.0/24" },
  ...overrides,
});

/** Builds a node and waits until every child has reached the mocks. */
async function build(name: string, args: KvmNodeArgs): Promise<KvmNode> {
  const node = new KvmNode(name, args, { transformations: [recordOptions] });
  await valueOf(node.ready.stdout);
  await settle();
  return node;
}

const command = (name: string) =>
  mocks.named(name).inputs as { create: string; delete?: string; triggers?: unknown[] };

describe("KvmNode", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  describe("an existing server (CoolVDS)", () => {
    it("creates exactly the component, the baseline and the firewall confirmation", async () => {
      await build("osl-1", coolvds());
      assert.deepStrictEqual(
        mocks.resources.map((r) => `${r.type} ${r.name}`),
        [
          "fortress:index:KvmNode osl-1",
          "command:remote:Command osl-1-baseline",
          "command:remote:Command osl-1-firewall-confirm",
        ],
      );
    });

    it("connects as root on port 22 with the key, as a secret", async () => {
      const node = await build("osl-1", coolvds());
      const baseline = mocks.named("osl-1-baseline");
      assert.deepStrictEqual(baseline.secretInputs, ["connection"]);
      assert.deepStrictEqual(baseline.inputs.connection, {
        host: "185.1.2.3",
        port: 22,
        user: "root",
        privateKey: PRIVATE_KEY,
        dialErrorLimit: 10,
        perDialTimeout: 15,
      });
      assert.strictEqual(await isSecret(node.connection), true);
      assert.strictEqual((await valueOf(node.connection)).privateKey, PRIVATE_KEY);
    });

    it("keeps the private key out of every input that is not secret", async () => {
      await build("osl-1", coolvds());
      await assertNowhereInClear("b3BlbnNzaC1rZXktdjEAAAAAtest");
    });

    it("stores the key as a secret in the component's own inputs, even when given in plain text", async () => {
      await build("osl-9", coolvds({ existing: { host: "185.1.2.9", privateKey: PRIVATE_KEY } }));
      assert.deepStrictEqual(mocks.named("osl-9").secretInputs, ["existing"]);
      assert.deepStrictEqual(mocks.named("osl-9-baseline").secretInputs, ["connection"]);
    });

    it("runs the baseline as root with bash, the teardown on delete, and confirms after the baseline", async () => {
      const node = await build("osl-1", coolvds());
      const baseline = command("osl-1-baseline");
      assert.match(baseline.create, /^bash -c "\$\(cat <<'FORTRESS_SCRIPT_END'\n#!\/usr\/bin\/env bash\n/);
      assert.match(baseline.create, /\nFORTRESS_SCRIPT_END\n\)" 'fortress-baseline'$/);
      assert.match(baseline.delete!, /^bash -c .*fortress-baseline-teardown'$/s);
      assert.deepStrictEqual(mocks.named("osl-1-baseline").secretInputs, ["connection"]);
      assert.match(baseline.create, /net\.netfilter\.nf_conntrack_max=131072/);
      assert.match(baseline.create, /net\.ipv4\.tcp_congestion_control=bbr/);
      assert.match(baseline.create, /elements = \{ 22 \}/);
      const deps = registeredOptions.get("osl-1-firewall-confirm")?.dependsOn as pulumi.Resource[];
      assert.strictEqual(deps.length, 1);
      assert.match(await valueOf(deps[0].urn), /KvmNode\$command:remote:Command::osl-1-baseline$/);
      assert.strictEqual(registeredOptions.get("osl-1-baseline")?.parent, node);
    });

    it("re-confirms the firewall only when the ruleset changes", async () => {
      await build("a", coolvds());
      await build("b", coolvds({ sysctl: { "net.core.somaxconn": "4096" } }));
      await build("c", coolvds({ firewall: { allowedTcpPorts: [443] } }));
      const trigger = (n: string) => command(`${n}-firewall-confirm`).triggers;
      assert.deepStrictEqual(trigger("a"), trigger("b"));
      assert.notDeepStrictEqual(trigger("a"), trigger("c"));
      assert.notStrictEqual(command("a-baseline").create, command("b-baseline").create);
    });

    it("runs scripts through sudo for a user other than root, on the given port", async () => {
      await build(
        "osl-2",
        coolvds({
          existing: { host: "osl-2.example.no", port: 2222, user: "debian", privateKey: PRIVATE_KEY },
        }),
      );
      const baseline = command("osl-2-baseline");
      assert.match(baseline.create, /^sudo -n bash -c "/);
      assert.match(baseline.create, /elements = \{ 2222 \}/);
      assert.strictEqual((mocks.named("osl-2-baseline").inputs.connection as { port: number }).port, 2222);
    });

    it("pins the host key when given", async () => {
      const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
      await build("osl-3", coolvds({ existing: { host: "185.1.2.4", privateKey: PRIVATE_KEY, hostKey } }));
      assert.strictEqual(
        (mocks.named("osl-3-baseline").inputs.connection as { hostKey: string }).hostKey,
        hostKey,
      );
    });

    it("without a firewall, the baseline is the handle and there is no confirmation", async () => {
      const node = await build("osl-4", coolvds({ firewall: { enabled: false } }));
      assert.deepStrictEqual(
        mocks.ofType("command:remote:Command").map((r) => r.name),
        ["osl-4-baseline"],
      );
      assert.match(await valueOf(node.ready.urn), /::osl-4-baseline$/);
      assert.match(command("osl-4-baseline").create, /FIREWALL_ENABLED='false'/);
    });

    it("derives the placement facts and the Kubernetes labels", async () => {
      const node = await build("osl-1", coolvds());
      assert.deepStrictEqual(await valueOf(node.labels), {
        region: "no",
        "topology.kubernetes.io/region": "no-oslo-1",
        "fortress.io/jurisdiction": "no",
      });
      const placement = await valueOf(node.placement);
      assert.strictEqual(placement.country, "NO");
      assert.strictEqual(placement.legalSeat, "NO");
      assert.strictEqual(await valueOf(node.publicAddress), "185.1.2.3");
      assert.strictEqual(await valueOf(node.privateAddress), "185.1.2.3");
    });
  });

  describe("an EC2 instance (Fleet)", () => {
    it("creates the key, key pair, security group and instance, then the baseline", async () => {
      await build("fleet-1", fleet());
      // Registration order follows when inputs resolve, so compare the set.
      assert.deepStrictEqual(
        mocks.resources.map((r) => `${r.type} ${r.name}`).sort(),
        [
          "fortress:index:KvmNode fleet-1",
          "tls:index/privateKey:PrivateKey fleet-1-ssh-key",
          "aws:ec2/keyPair:KeyPair fleet-1-keypair",
          "aws:ec2/securityGroup:SecurityGroup fleet-1-sg",
          "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule fleet-1-sg-ssh",
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule fleet-1-sg-egress-ipv4",
          "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule fleet-1-sg-egress-ipv6",
          "aws:ec2/instance:Instance fleet-1-instance",
          "command:remote:Command fleet-1-baseline",
          "command:remote:Command fleet-1-firewall-confirm",
        ].sort(),
      );
      assert.deepStrictEqual(mocks.named("fleet-1-ssh-key").inputs, { algorithm: "ED25519" });
      assert.match(mocks.named("fleet-1-keypair").inputs.publicKey as string, /^ssh-ed25519 /);
    });

    it("opens SSH to the admin network only, with no rule inline (the mesh adds its own)", async () => {
      const node = await build("fleet-1", fleet());
      const sg = mocks.named("fleet-1-sg").inputs;
      assert.strictEqual(sg.ingress, undefined);
      assert.strictEqual(sg.egress, undefined);
      assert.strictEqual(sg.region, "eu-north-1");
      const ingress = mocks
        .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
        .map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4]);
      assert.deepStrictEqual(ingress, [["tcp", 22, 22, "198.51.100.0/24"]]);
      assert.strictEqual(node.host().cloudFirewall?.region, "eu-north-1");
    });

    it("takes an IPv6 admin network as an IPv6 rule", async () => {
      await build("fleet-1", fleet({ ec2: { adminCidr: "2001:db8::/48" } }));
      const ssh = mocks.named("fleet-1-sg-ssh").inputs;
      assert.strictEqual(ssh.cidrIpv6, "2001:db8::/48");
      assert.strictEqual(ssh.cidrIpv4, undefined);
    });

    it("refuses the old meshPort setting: the mesh opens its own port", () => {
      assert.throws(
        () =>
          new KvmNode(
            "fleet-1",
            fleet({ ec2: { adminCidr: "198.51.100.0/24", meshPort: 51999 } as KvmNodeArgs["ec2"] }),
          ),
        /ec2\.meshPort: is not an ec2 setting/,
      );
    });

    it("launches Debian 12 in the placement's region, tagged with its data class", async () => {
      await build("fleet-1", fleet());
      const instance = mocks.named("fleet-1-instance").inputs as {
        ami: string;
        instanceType: string;
        region: string;
        keyName: string;
        vpcSecurityGroupIds: string[];
        tags: Record<string, string>;
        rootBlockDevice: { encrypted: boolean };
      };
      assert.strictEqual(instance.ami, "ami-0debian12test");
      assert.strictEqual(instance.instanceType, "t3.small");
      assert.strictEqual(instance.region, "eu-north-1");
      assert.strictEqual(instance.keyName, "fleet-1-keypair");
      assert.deepStrictEqual(instance.vpcSecurityGroupIds, ["fleet-1-sg-id"]);
      assert.strictEqual(instance.tags["data-classification"], "internal");
      assert.strictEqual(instance.rootBlockDevice.encrypted, true);
      const ami = mocks.invokes.find((i) => i.token === "aws:ec2/getAmi:getAmi")!;
      assert.deepStrictEqual(ami.inputs.owners, ["136693071363"]);
      assert.deepStrictEqual((ami.inputs.filters as { values: string[] }[])[0].values, ["debian-12-amd64-*"]);
    });

    it("connects as admin through sudo to the instance's public address with the generated key", async () => {
      const node = await build("fleet-1", fleet());
      const baseline = mocks.named("fleet-1-baseline");
      const conn = baseline.inputs.connection as Record<string, unknown>;
      assert.match(conn.host as string, /^198\.18\.\d+\.\d+$/);
      assert.strictEqual(conn.user, "admin");
      assert.match(conn.privateKey as string, /BEGIN OPENSSH PRIVATE KEY/);
      assert.deepStrictEqual(baseline.secretInputs, ["connection"]);
      assert.match(command("fleet-1-baseline").create, /^sudo -n bash -c /);
      assert.deepStrictEqual(await valueOf(node.labels), {
        region: "global",
        "topology.kubernetes.io/region": "eu-north-1",
        "fortress.io/jurisdiction": "us",
      });
      assert.strictEqual(await valueOf(node.privateAddress), "172.31.0.10");
      const deps = registeredOptions.get("fleet-1-baseline")?.dependsOn as pulumi.Resource[];
      assert.match(await valueOf(deps[0].urn), /::fleet-1-instance$/);
    });

    it("picks an arm64 image for Graviton types", () => {
      assert.strictEqual(amiArchitecture("t4g.small"), "arm64");
      assert.strictEqual(amiArchitecture("m7gd.large"), "arm64");
      assert.strictEqual(amiArchitecture("c6gn.xlarge"), "arm64");
      assert.strictEqual(amiArchitecture("t3.small"), "amd64");
      assert.strictEqual(amiArchitecture("g5.xlarge"), "amd64");
      assert.strictEqual(amiArchitecture("m7i.large"), "amd64");
    });
  });

  describe("bad input fails before anything reaches a host", () => {
    const fails = (args: KvmNodeArgs, message: string) => {
      mocks.reset();
      assert.throws(
        () => new KvmNode("bad", args),
        (e: Error) => {
          assert.strictEqual(e.message, message);
          return true;
        },
      );
      assert.deepStrictEqual(mocks.ofType("command:remote:Command"), []);
    };

    it("a port out of range", () =>
      fails(
        coolvds({ existing: { host: "185.1.2.3", port: 70000, privateKey: PRIVATE_KEY } }),
        "existing.port: 70000 is not a valid port; use a whole number from 1 to 65535",
      ));

    it("an empty host", () =>
      fails(
        coolvds({ existing: { host: "", privateKey: PRIVATE_KEY } }),
        "existing.host: must not be empty; give the server's address or DNS name",
      ));

    it("both modes", () =>
      fails(
        coolvds({ ec2: { adminCidr: "198.51.100.0/24" } }),
        'KvmNode "bad" has 2 invalid inputs:\n' +
          "  - ec2: give either `existing` (a server reached over SSH) or `ec2` (an instance to create), not both\n" +
          '  - placement.provider: is "coolvds", but an `ec2` node runs on AWS; set provider "aws"',
      ));

    it("neither mode", () =>
      fails(
        { placement: { country: "NO", provider: "coolvds" } },
        "existing: give `existing` (a server reached over SSH) or `ec2` (an instance to create)",
      ));

    it("an EC2 node without an admin CIDR or with a bad one", () =>
      fails(
        fleet({ ec2: { adminCidr: "everyone" } }),
        'ec2.adminCidr: "everyone" is not a CIDR; use an address and prefix length such as "203.0.113.0/24"',
      ));

    it("a bad host key, package name and firewall port at once", () =>
      fails(
        coolvds({
          existing: { host: "185.1.2.3", privateKey: PRIVATE_KEY, hostKey: "not a key" },
          extraPackages: ["Bad Name"],
          firewall: { allowedUdpPorts: [0] },
        }),
        'KvmNode "bad" has 3 invalid inputs:\n' +
          '  - existing.hostKey: must be the server\'s public host key such as "ssh-ed25519 AAAAC3Nz..." (see /etc/ssh/ssh_host_ed25519_key.pub)\n' +
          '  - extraPackages[0]: "Bad Name" is not a Debian package name (lower-case letters, digits, "+", "-", ".")\n' +
          "  - firewall.allowedUdpPorts[0]: 0 is not a valid port; use a whole number from 1 to 65535",
      ));

    it("names the property path in the error the engine reports", () => {
      try {
        new KvmNode("bad", coolvds({ existing: { host: "185.1.2.3", port: 0, privateKey: PRIVATE_KEY } }));
        assert.fail("expected an error");
      } catch (e) {
        assert.ok(pulumi.InputPropertyError.isInstance(e));
        assert.strictEqual(e.propertyPath, "existing.port");
      }
    });
  });
});
