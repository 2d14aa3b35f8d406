import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { fortressProgram } from "../../stacks/program";
import { mocks } from "./setup";
import { KEY, withConfig, nodes, stack } from "./programFixtures";

describe("the stack program", () => {
  beforeEach(() => mocks.reset());

  it("builds one KvmNode per configured node, with the stack's SSH key as a secret", async () => {
    const out = fortressProgram(
      withConfig([
        { name: "osl-1", placement: { country: "NO", provider: "coolvds" }, existing: { host: "185.1.2.3" } },
        {
          name: "fleet-1",
          placement: { provider: "aws", region: "eu-north-1" },
          ec2: { adminCidr: "198.51.100.0/24" },
        },
      ]),
    );
    assert.deepStrictEqual(Object.keys(out.nodes), ["osl-1", "fleet-1"]);
    assert.deepStrictEqual(await valueOf(out.nodes["osl-1"].labels), {
      region: "no",
      "topology.kubernetes.io/region": "no",
      "fortress.io/jurisdiction": "no",
    });
    await valueOf(out.nodes["fleet-1"].publicAddress);
    assert.strictEqual(out.residency.compliant, true);
    assert.strictEqual(out.residency.verdicts["control-plane-location"], "nothing to judge");
    await settle();
    const baseline = mocks.named("osl-1-baseline");
    assert.deepStrictEqual(baseline.secretInputs, ["connection"]);
    assert.strictEqual((baseline.inputs.connection as { privateKey: string }).privateKey, KEY);
    assert.deepStrictEqual(
      mocks
        .ofType("fortress:index:KvmNode")
        .map((r) => r.name)
        .sort(),
      ["fleet-1", "osl-1"],
    );
  });

  it("opens the mesh's own port in a Fleet node's security group, not the default one", async () => {
    pulumi.runtime.setAllConfig(
      {
        "fortress:sshPrivateKey": KEY,
        "fortress:nodes": JSON.stringify([
          {
            name: "osl-1",
            placement: { country: "NO", provider: "coolvds" },
            existing: { host: "185.1.2.3" },
          },
          {
            name: "fleet-1",
            placement: { provider: "aws", region: "eu-north-1" },
            ec2: { adminCidr: "198.51.100.0/24" },
          },
        ]),
        "fortress:mesh": JSON.stringify({ listenPort: 51821 }),
      },
      ["fortress:sshPrivateKey"],
    );
    fortressProgram(new pulumi.Config("fortress"));
    await settle();
    const udp = mocks
      .ofType("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")
      .filter((r) => r.inputs.ipProtocol === "udp")
      .map((r) => [r.name, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6]);
    assert.deepStrictEqual(udp, [
      ["mesh-fleet-1-mesh-ipv4", 51821, 51821, "0.0.0.0/0"],
      ["mesh-fleet-1-mesh-ipv6", 51821, 51821, "::/0"],
    ]);
    const sg = mocks.named("fleet-1-sg").inputs;
    assert.strictEqual(sg.ingress, undefined, "no rule inline: it would drop the mesh's rules");
    // The host's own firewall and the mesh configuration use the same port.
    const config = mocks.named("mesh-fleet-1-config").inputs.create as string;
    assert.match(config, /LISTEN_PORT='51821'/);
  });

  it("names the config key in an error from a node", () => {
    assert.throws(
      () =>
        fortressProgram(
          withConfig([
            {
              name: "osl-1",
              placement: { country: "NO", provider: "coolvds" },
              existing: { host: "185.1.2.3", port: 0 },
            },
          ]),
        ),
      {
        message: "fortress:nodes[0].existing.port: 0 is not a valid port; use a whole number from 1 to 65535",
      },
    );
  });

  it("checks the residency settings and names their key", () => {
    pulumi.runtime.setAllConfig({
      "fortress:sshPrivateKey": KEY,
      "fortress:nodes": JSON.stringify([
        { name: "a", placement: { country: "NO", provider: "coolvds" }, existing: { host: "h" } },
      ]),
      "fortress:enforcement": JSON.stringify({ "no-such-rule": "advisory" }),
    });
    assert.throws(
      () => fortressProgram(new pulumi.Config("fortress")),
      (e: Error) => {
        assert.match(e.message, /^fortress:enforcement/);
        assert.match(e.message, /no-such-rule/);
        return true;
      },
    );
  });

  it("rejects a missing node list, duplicate and bad names", () => {
    assert.throws(() => fortressProgram(withConfig([])), {
      message: "fortress:nodes: must be a non-empty list of nodes, each with a name and a placement",
    });
    assert.throws(
      () =>
        fortressProgram(
          withConfig([
            { name: "a", placement: { country: "NO", provider: "coolvds" }, existing: { host: "h" } },
            { name: "a", placement: { country: "NO", provider: "coolvds" }, existing: { host: "h" } },
            { name: "Bad_Name" },
          ]),
        ),
      {
        message:
          "the stack config has 2 invalid inputs:\n" +
          '  - fortress:nodes[1].name: "a" is used by another node; names must be unique\n' +
          '  - fortress:nodes[2].name: "Bad_Name" is not a node name; use lower-case letters, digits and "-", starting with a letter',
      },
    );
  });

  it("exports only the outputs the stack has: no kubeconfig without k3s", async () => {
    const out = fortressProgram(stack({}));
    assert.deepStrictEqual(Object.keys(out), ["nodes", "meshAddresses", "residency"]);
    await settle();
  });

  it("names an unknown config key with the closest known one, and a wrong type with its path", () => {
    pulumi.runtime.setAllConfig({
      "fortress:sshPrivateKey": KEY,
      "fortress:nodes": JSON.stringify(nodes),
      "fortress:databse": JSON.stringify({ primary: "osl-1" }),
      "fortress:mesh": "10.100.0.0/24",
    });
    assert.throws(() => fortressProgram(new pulumi.Config("fortress")), {
      message:
        "the stack config has 2 invalid inputs:\n" +
        '  - fortress:databse: is not a Fortress stack config setting; did you mean "database"? use environment, sshPrivateKey, nodes, mesh, k3s, database, openfaas, openfaasLicense, argo, allowedCountries, enforcement\n' +
        '  - fortress:mesh: must be an object (a YAML mapping), not "10.100.0.0/24"',
    });
  });

  it("is the entry's export as it stands: the outputs object, without absent outputs", async () => {
    stack({});
    // The entry runs the program when it is loaded, as the Pulumi runtime loads it.
    const entry = (await import("../../stacks/index")) as unknown as Record<string, unknown>;
    const outputs = (entry.default ?? entry) as Record<string, unknown>;
    assert.deepStrictEqual(Object.keys(outputs).sort(), ["meshAddresses", "nodes", "residency"]);
    await settle();
  });
});
