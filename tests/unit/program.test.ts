import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { fortressProgram } from "../../stacks/program";
import { mocks } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc3RhY2sta2V5\n-----END OPENSSH PRIVATE KEY-----\n";

function withConfig(nodes: unknown): pulumi.Config {
  pulumi.runtime.setAllConfig({ "fortress:sshPrivateKey": KEY, "fortress:nodes": JSON.stringify(nodes) }, [
    "fortress:sshPrivateKey",
  ]);
  return new pulumi.Config("fortress");
}

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
    assert.strictEqual(out.residency.verdicts["control-plane-location"], "pass");
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
});
