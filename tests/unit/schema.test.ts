import * as assert from "assert";
import * as path from "path";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import { ARGO_BOOTSTRAP_KEYS } from "../../components/argoBootstrap/argoBootstrap";
import { GTID_MYSQL_KEYS } from "../../components/gtidMySql/gtidMySql";
import { K3S_CLUSTER_KEYS } from "../../components/k3sCluster/k3sCluster";
import { KVM_NODE_KEYS } from "../../components/kvmNode/kvmNode";
import { OPENFAAS_PLATFORM_KEYS } from "../../components/openFaasPlatform/openFaasPlatform";
import { WIREGUARD_MESH_KEYS } from "../../components/wireGuardMesh/wireGuardMesh";

const ROOT = path.resolve(__dirname, "../..");

interface Schema {
  name: string;
  resources: Record<
    string,
    {
      isComponent?: boolean;
      inputProperties: Record<string, unknown>;
      requiredInputs?: string[];
      properties: Record<string, unknown>;
    }
  >;
  types: Record<string, { properties: Record<string, unknown> }>;
}

/**
 * Consumers in Python, Go, .NET and YAML get the components through Pulumi's component schema
 * analyzer. If a component's args stop being inferable (a union, a function, an inline type...),
 * the analyzer throws and this test fails with its message.
 */
describe("the component schema (other Pulumi languages)", function () {
  this.timeout(180_000);
  let schema: Schema;

  before(async () => {
    const entry = (await import(path.join(ROOT, "index.ts"))) as Record<string, unknown>;
    const provider = new ComponentProvider({
      name: "fortress",
      dirname: ROOT,
      components: getPulumiComponents(entry),
    });
    schema = JSON.parse(await provider.getSchema()) as Schema;
  });

  it("is the fortress package", () => assert.strictEqual(schema.name, "fortress"));

  it("has KvmNode as a component with its args and outputs", () => {
    const node = schema.resources["fortress:index:KvmNode"];
    assert.ok(node, `resources: ${Object.keys(schema.resources).join(", ")}`);
    assert.strictEqual(node.isComponent, true);
    assert.deepStrictEqual(Object.keys(node.inputProperties).sort(), [
      "ec2",
      "existing",
      "extraPackages",
      "firewall",
      "placement",
      "sysctl",
    ]);
    assert.deepStrictEqual(node.requiredInputs, ["placement"]);
    for (const output of ["connection", "placement", "labels", "publicAddress", "privateAddress", "ready"]) {
      assert.ok(output in node.properties, `output ${output}`);
    }
  });

  it("has every component of the package entry, under fortress:index", async () => {
    const entry = (await import(path.join(ROOT, "index.ts"))) as Record<string, unknown>;
    const components = getPulumiComponents(entry).map((c) => `fortress:index:${c.name}`);
    assert.ok(components.length >= 3, components.join(", "));
    for (const token of components) assert.strictEqual(schema.resources[token]?.isComponent, true, token);
  });

  it("describes the mode sub-objects as types", () => {
    assert.ok(schema.types["fortress:index:ExistingServerArgs"]);
    assert.ok(schema.types["fortress:index:Ec2InstanceArgs"]);
    assert.ok(schema.types["fortress:index:Placement"]);
  });

  it("knows every component's settings, so an unknown key is a typo and nothing else", () => {
    const keys: Record<string, readonly string[]> = {
      KvmNode: KVM_NODE_KEYS,
      WireGuardMesh: WIREGUARD_MESH_KEYS,
      K3sCluster: K3S_CLUSTER_KEYS,
      GtidMySql: GTID_MYSQL_KEYS,
      OpenFaasPlatform: OPENFAAS_PLATFORM_KEYS,
      ArgoBootstrap: ARGO_BOOTSTRAP_KEYS,
    };
    for (const [component, known] of Object.entries(keys)) {
      const inputs = Object.keys(schema.resources[`fortress:index:${component}`].inputProperties).sort();
      assert.deepStrictEqual([...known].sort(), inputs, component);
    }
  });
});
