import * as pulumi from "@pulumi/pulumi";
import { KvmNode, KvmNodeArgs } from "../components";
import { parseNodesConfig, underConfigKey } from "../sdk/config";

/**
 * The Fortress program: every stack is this code plus its `Pulumi.<stack>.yaml`, so a new
 * environment is a new config file. For now it brings up the nodes; later layers build on them.
 */
export function fortressProgram(config: pulumi.Config = new pulumi.Config("fortress")) {
  const sshPrivateKey = config.requireSecret("sshPrivateKey");
  const nodeConfigs = parseNodesConfig(config.requireObject<unknown>("nodes"));
  const nodes = nodeConfigs.map((node, i) =>
    underConfigKey(`fortress:nodes[${i}]`, () => {
      const args = node.args as unknown as KvmNodeArgs;
      // Existing servers share the stack's SSH key, so it never sits in plain config.
      const existing = args.existing ? { ...args.existing, privateKey: sshPrivateKey } : undefined;
      return new KvmNode(node.name, { ...args, existing });
    }),
  );
  return {
    nodes: Object.fromEntries(
      nodes.map((n, i) => [
        nodeConfigs[i].name,
        { publicAddress: n.publicAddress, labels: n.labels, placement: n.placement },
      ]),
    ),
  };
}
