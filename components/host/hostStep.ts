// The one way a component makes a step on a host: a rendered script run over SSH by
// `@pulumi/command`, with its delete script, its secrets on standard input, and what it waits for.
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { combine, eventually, whenKnown } from "../../sdk/outputs";
import { bashCommand } from "../../sdk/scripts/render";
import { renderMeshFirewallScript } from "../kvmNode/scripts";
import { HostTarget, sshUser } from "./hostArgs";

/** A rendered script and the name it runs under on the host (process list, journal, errors). */
export interface HostScript {
  readonly name: string;
  readonly script: pulumi.Input<string>;
}

export interface HostStepArgs {
  /** The host it runs on; the step waits for the host's `ready` step. */
  readonly host: HostTarget;
  /** Runs on create, and again whenever the script (or a trigger) changes. */
  readonly run: HostScript;
  /** Runs on destroy. */
  readonly onDelete?: HostScript;
  /** Reaches the script on standard input only: the one way secrets go to a host. */
  readonly stdin?: pulumi.Input<string>;
  /** Values that make the step run again when they change, besides the script. */
  readonly triggers?: pulumi.Input<unknown>[];
  /** Steps it waits for besides the host's `ready` step. */
  readonly after?: readonly pulumi.Resource[];
  /** The script prints something secret (a kubeconfig, key material): keep stdout secret and out of the log. */
  readonly secretOutput?: boolean;
  /**
   * The host is gone (a failover): the step stays as the last deployment left it, its inputs
   * ignored, so nothing runs on the host, not even its delete. A step that did not exist is made.
   */
  readonly frozen?: boolean;
}

/** Every input of a step: what a frozen step ignores. */
const STEP_INPUTS = [
  "connection",
  "addPreviousOutputInEnv",
  "create",
  "update",
  "delete",
  "stdin",
  "triggers",
  "logging",
  "environment",
];

export function hostStep(parent: pulumi.Resource, name: string, args: HostStepArgs): remote.Command {
  const user = sshUser(args.host.connection);
  // A plain string when the script and the user are both known now.
  const command = (s: HostScript) =>
    combine([s.script, user], ([script, u]) => bashCommand(script, u, s.name));
  return new remote.Command(
    name,
    {
      connection: args.host.connection,
      // The provider's default sends the previous stdout (a kubeconfig, say) as an SSH setenv.
      addPreviousOutputInEnv: false,
      create: command(args.run),
      ...(args.onDelete ? { delete: command(args.onDelete) } : {}),
      ...(args.stdin !== undefined ? { stdin: args.stdin } : {}),
      ...(args.triggers ? { triggers: args.triggers } : {}),
      ...(args.secretOutput ? { logging: "stderr" } : {}),
    },
    {
      parent,
      dependsOn: [...(args.host.ready ? [args.host.ready] : []), ...(args.after ?? [])],
      ...(args.secretOutput ? { additionalSecretOutputs: ["stdout"] } : {}),
      ...(args.frozen ? { ignoreChanges: STEP_INPUTS } : {}),
    },
  );
}

const MESH_FIREWALL = "fortress-mesh-firewall";

/**
 * The step that opens a component's mesh ports on a node: it writes the drop-in
 * (`renderMeshDropIn`) and reloads the KvmNode firewall with it; on destroy it removes it again.
 * Named `${component}-${node}-firewall`.
 */
export function meshFirewallStep(
  parent: pulumi.Resource,
  component: string,
  host: HostTarget & { readonly name: string },
  dropInFile: string,
  dropIn: pulumi.Input<string>,
  after: readonly pulumi.Resource[] = [],
): remote.Command {
  return hostStep(parent, `${component}-${host.name}-firewall`, {
    host,
    run: {
      name: MESH_FIREWALL,
      script: whenKnown(eventually(dropIn), (d) => renderMeshFirewallScript(dropInFile, d, MESH_FIREWALL)),
    },
    onDelete: { name: MESH_FIREWALL, script: renderMeshFirewallScript(dropInFile, "", MESH_FIREWALL) },
    after,
  });
}
