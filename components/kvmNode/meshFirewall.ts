import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { bashCommand } from "../../sdk/scripts/render";
import { HostArgs, sshUser } from "./kvmNode";
import { renderMeshFirewallScript } from "./scripts";

const SCRIPT = "fortress-mesh-firewall";

/**
 * The one host step that opens a component's mesh ports on a node: it writes the drop-in
 * (`renderMeshDropIn`) and reloads the KvmNode firewall with it; on destroy it removes it again.
 * Named `${component}-${node}-firewall`.
 */
export function meshFirewallStep(
  parent: pulumi.Resource,
  component: string,
  host: HostArgs,
  dropInFile: string,
  dropIn: pulumi.Input<string>,
  dependsOn: pulumi.Resource[],
): remote.Command {
  const user = sshUser(host.connection);
  return new remote.Command(
    `${component}-${host.name}-firewall`,
    {
      connection: host.connection,
      addPreviousOutputInEnv: false,
      create: pulumi
        .all([dropIn, user])
        .apply(([d, u]) => bashCommand(renderMeshFirewallScript(dropInFile, d, SCRIPT), u, SCRIPT)),
      delete: user.apply((u) => bashCommand(renderMeshFirewallScript(dropInFile, "", SCRIPT), u, SCRIPT)),
    },
    { parent, dependsOn },
  );
}
