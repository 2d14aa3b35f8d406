import { remote } from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { InputProblems } from "../../sdk/errors";
import {
  DEFAULT_K3S_VERSION,
  defaultAgentRestartBatch,
  k3sConfig,
  k3sMeshPorts,
  planK3sJoin,
  renderYaml,
} from "../../sdk/k3s";
import { DEFAULT_SNAPSHOT_SCHEDULE } from "../../sdk/k3sArgs";
import { combine, combineOutput } from "../../sdk/outputs";
import {
  defaultResidencyPolicy,
  enforceResidency,
  k3sClusterNames,
  k3sClusterResidency,
} from "../../sdk/residency";
import { meshAllowsOn, meshDropInPath, renderMeshDropIn, zoneOf } from "../../sdk/zones";
import { hostForState, hostsForState, meshStepsOn } from "../host/hostArgs";
import { hostStep, meshFirewallStep } from "../host/hostStep";
import { K3sClusterArgs, checkK3sClusterArgs } from "./args";
import {
  TOKEN_FILE,
  renderConfigureScript,
  renderInstallScript,
  renderKubeconfigScript,
  renderUninstallScript,
} from "./scripts";
import { snapshotSteps } from "./snapshots";

export { K3S_CLUSTER_KEYS } from "./args";
export type { K3sClusterArgs, K3sMirrorArgs, K3sSnapshotArgs } from "./args";

const UPSTREAM_INSTALLER = "https://get.k3s.io";
const FLEET_TAINT = "fortress.io/fleet=true:NoSchedule";

/**
 * Kubernetes (k3s) across the mesh, with the control plane in the Fortress: servers only on
 * nodes that may hold special-category data (etcd holds every secret of the cluster), agents
 * anywhere, every node labelled from its placement and Fleet nodes tainted.
 */
export class K3sCluster extends pulumi.ComponentResource {
  /** Admin kubeconfig (secret), pointed at `apiEndpoint`. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** A Kubernetes provider for the cluster, for the components that follow. */
  public readonly provider: k8s.Provider;
  /** `https://<apiEndpoint>:6443`. */
  public readonly apiServer: pulumi.Output<string>;
  /** The nodes in the order they join: servers one by one, then the agents (all at once). */
  public readonly joinOrder: pulumi.Output<string[]>;
  /** Node labels per node, as k3s registers them. */
  public readonly nodeLabels: pulumi.Output<{ [node: string]: { [key: string]: string } }>;
  /** The pinned release the nodes run. */
  public readonly version: pulumi.Output<string>;
  /** The private key (PEM, secret) that opens the etcd snapshots; empty without snapshots. */
  public readonly snapshotPrivateKey: pulumi.Output<string>;

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "fortress:index:K3sCluster",
      name,
      {
        ...args,
        servers: hostsForState(args?.servers),
        agents: hostsForState(args?.agents),
        ...(args?.snapshots?.node
          ? { snapshots: { ...args.snapshots, node: hostForState(args.snapshots.node) } }
          : {}),
        // Steps to wait for are no setting.
        meshReady: undefined,
      },
      opts,
    );

    const problems = new InputProblems();
    const checked = checkK3sClusterArgs(problems, name, args);
    const { servers, agents, snapshotNode, meshInterface } = checked;
    args = checked.args;
    const residency = k3sClusterResidency(problems, name, servers, agents, snapshotNode);
    problems.throwIfAny(`K3sCluster "${name}"`);
    const snapshotPaths = [k3sClusterNames.snapshotStore(name), `${name} etcd snapshots from `];
    enforceResidency(
      residency,
      args.residency,
      (v) => (snapshotPaths.some((p) => v.subject.startsWith(p)) ? "snapshots.node" : "servers"),
      `K3sCluster "${name}"`,
    );
    const nodes = residency.nodes;
    const version = args.version ?? DEFAULT_K3S_VERSION;
    const all = [...servers, ...agents];

    // The mesh ports the cluster needs, per node, from the sources its zone admits.
    const policy = {
      ...defaultResidencyPolicy(),
      ...(args.residency?.allowedCountries ? { allowedCountries: args.residency.allowedCountries } : {}),
    };
    const zones = new Map(nodes.map((n) => [n.name, zoneOf(n, policy)]));
    const declarations = k3sMeshPorts(
      `K3sCluster "${name}"`,
      servers.map((s) => s.name),
      agents.map((a) => a.name),
    );

    const labels = Object.fromEntries(nodes.map((n) => [n.name, n.labels]));
    const plans = planK3sJoin(
      servers.map((s) => s.name),
      agents.map((a) => a.name),
    );
    const hosts = Object.fromEntries(all.map((h) => [h.name, h]));
    const token = new random.RandomPassword(
      `${name}-token`,
      { length: 48, special: false },
      { parent: this },
    );
    const secretToken = pulumi.secret(token.result);
    const tokenLine = secretToken.apply((t) => `${t}\n`);
    const source = {
      version,
      mirror: args.mirror?.url.replace(/\/+$/, "") ?? "",
      installScriptUrl: UPSTREAM_INSTALLER,
    };
    const addresses = pulumi.output(args.addresses);
    const first = hosts[plans[0].name];
    const apiEndpoint = pulumi.output(args.apiEndpoint ?? first.publicAddress);

    // Resolved once for every node's configuration.
    const cluster = combineOutput([addresses, apiEndpoint], (both) => both);
    const meshReady = args.meshReady;
    const restartPolicy = {
      version,
      servers: servers.map((s) => s.name),
      slots: args.agentRestartBatch ?? defaultAgentRestartBatch(agents.length),
      agents: agents.length,
    };
    // Installs everywhere at once, after each host's own preparation: the binary needs no mesh.
    // Starts in join order: servers one after another, then every agent after the first server.
    const started: Record<string, remote.Command> = {};
    for (const plan of plans) {
      const host = hosts[plan.name];
      const install = hostStep(this, `${name}-${plan.name}-install`, {
        host,
        run: { name: "fortress-k3s-install", script: renderInstallScript(plan, source) },
        onDelete: { name: "fortress-k3s-uninstall", script: renderUninstallScript(plan) },
      });
      const firewall = meshFirewallStep(
        this,
        name,
        host,
        meshDropInPath("k3s", name),
        addresses.apply((a) => renderMeshDropIn(name, meshAllowsOn(plan.name, declarations, zones), a)),
        // After the mesh's own firewall change on the host: both reload the same table.
        meshStepsOn(meshReady, [plan.name]),
      );
      const script = combine([cluster, host.publicAddress], ([[addr, endpoint], publicAddress]) => {
        const meshAddress = addr[plan.name];
        if (!meshAddress)
          throw new pulumi.ResourceError(`addresses has no mesh address for node "${plan.name}"`, this);
        const config = renderYaml(
          k3sConfig({
            plan,
            meshAddress,
            joinAddress: plan.joins ? addr[plan.joins] : undefined,
            publicAddress,
            meshInterface,
            labels: labels[plan.name],
            taints: labels[plan.name].region === "global" ? [FLEET_TAINT] : [],
            tlsSans: [meshAddress, publicAddress, endpoint, ...(args.tlsSans ?? [])],
            disable: args.disable ?? ["traefik"],
            tokenFile: TOKEN_FILE,
            ...(args.snapshots
              ? { snapshots: { schedule: args.snapshots.schedule ?? DEFAULT_SNAPSHOT_SCHEDULE } }
              : {}),
          }),
        );
        return renderConfigureScript(plan, config, restartPolicy);
      });
      started[plan.name] = hostStep(this, `${name}-${plan.name}-configure`, {
        host,
        run: { name: "fortress-k3s-configure", script },
        // The token reaches the host on standard input only.
        stdin: tokenLine,
        // The mesh up here and on the server it joins.
        after: [
          install,
          firewall,
          ...meshStepsOn(meshReady, [plan.name, ...(plan.joins ? [plan.joins] : [])]),
          ...(plan.after ? [started[plan.after]] : []),
        ],
      });
    }

    const lastServer = started[servers[servers.length - 1].name];
    const kubeconfigCommand = hostStep(this, `${name}-kubeconfig`, {
      host: first,
      run: { name: "fortress-k3s-kubeconfig", script: apiEndpoint.apply(renderKubeconfigScript) },
      after: [lastServer],
      secretOutput: true,
    });
    const snapshots =
      args.snapshots && snapshotNode
        ? snapshotSteps(this, name, {
            node: snapshotNode,
            servers,
            addresses,
            keep: args.snapshots.keep,
            // The backup node pulls from the servers over the mesh.
            meshReady: meshStepsOn(meshReady, [snapshotNode.name, ...servers.map((s) => s.name)]),
            started,
          })
        : undefined;
    this.kubeconfig = pulumi.secret(kubeconfigCommand.stdout);
    this.provider = new k8s.Provider(`${name}-provider`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.apiServer = pulumi.interpolate`https://${apiEndpoint}:6443`;
    this.joinOrder = pulumi.output(plans.map((p) => p.name));
    this.nodeLabels = pulumi.output(labels);
    this.version = pulumi.output(version);
    this.snapshotPrivateKey = pulumi.secret(snapshots ? snapshots.privateKeyPem : pulumi.output(""));
    this.registerOutputs({
      version: this.version,
      snapshotPrivateKey: this.snapshotPrivateKey,
      kubeconfig: this.kubeconfig,
      provider: this.provider,
      apiServer: this.apiServer,
      joinOrder: this.joinOrder,
      nodeLabels: this.nodeLabels,
      // For the policy pack: under the real engine a stack policy sees a component's outputs only.
      residency,
    });
  }
}
