import { remote } from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { InputProblems } from "../../sdk/errors";
import { checkK3sVersion, k3sConfig, k3sMeshPorts, planK3sJoin, renderYaml } from "../../sdk/k3s";
import {
  ResidencyArgs,
  defaultResidencyPolicy,
  enforceResidency,
  k3sClusterResidency,
} from "../../sdk/residency";
import { meshAllowsOn, meshDropInPath, renderMeshDropIn, zoneOf } from "../../sdk/zones";
import { checkHost, checkComponentName, checkKeys, expect } from "../../sdk/validate";
import { MeshContract, checkMeshContract } from "../../sdk/wireguard";
import { HostArgs, checkHostArgs, withSecretConnections } from "../host/hostArgs";
import { hostStep, meshFirewallStep } from "../host/hostStep";
import {
  TOKEN_FILE,
  renderConfigureScript,
  renderInstallScript,
  renderKubeconfigScript,
  renderUninstallScript,
} from "./scripts";

/** Air-gapped installation: everything from a host the user controls. */
export interface K3sMirrorArgs {
  /**
   * Base URL of the mirror. It serves `install.sh` (the upstream installer) and, per release,
   * `<version>/k3s` (`k3s-arm64`), `<version>/k3s-airgap-images-<arch>.tar.zst` and
   * `<version>/sha256sum-<arch>.txt`, as the k3s release page publishes them.
   */
  readonly url: string;
}

export interface K3sClusterArgs {
  /** Server nodes: one, or an odd number of three or more (embedded etcd). Only Fortress nodes. */
  readonly servers: HostArgs[];
  /** Agent nodes, anywhere; Fleet nodes are tainted so only workloads that tolerate it land there. */
  readonly agents?: HostArgs[];
  /** Mesh address of every node (`WireGuardMesh.addresses`): all cluster traffic uses it. */
  readonly addresses: pulumi.Input<{ [node: string]: pulumi.Input<string> }>;
  /** The mesh the cluster runs over (`WireGuardMesh.contract`): flannel uses its interface. Default: the default mesh (`wg0`). */
  readonly mesh?: MeshContract;
  /** The pinned k3s release, e.g. `v1.31.4+k3s1`. Changing it upgrades the nodes one at a time. */
  readonly version: string;
  /** Install air-gapped from this mirror instead of the upstream installer. */
  readonly mirror?: K3sMirrorArgs;
  /** Packaged components to disable. Default `["traefik"]`, as in the seed. */
  readonly disable?: string[];
  /** Extra names or addresses for the API server certificate (the mesh and public addresses are always in). */
  readonly tlsSans?: string[];
  /** Where the program reaches the API: the kubeconfig points here. Default: the first server's public address. */
  readonly apiEndpoint?: pulumi.Input<string>;
  /** The residency policy the placement of the servers is checked against. */
  readonly residency?: ResidencyArgs;
}

const UPSTREAM_INSTALLER = "https://get.k3s.io";
const FLEET_TAINT = "fortress.io/fleet=true:NoSchedule";

/** Every setting of K3sClusterArgs: anything else is a typo to name. */
export const K3S_CLUSTER_KEYS = [
  "servers",
  "agents",
  "addresses",
  "mesh",
  "version",
  "mirror",
  "disable",
  "tlsSans",
  "apiEndpoint",
  "residency",
];

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
  /** The nodes in the order they join (and restart): servers first, then agents. */
  public readonly joinOrder: pulumi.Output<string[]>;
  /** Node labels per node, as k3s registers them. */
  public readonly nodeLabels: pulumi.Output<{ [node: string]: { [key: string]: string } }>;

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "fortress:index:K3sCluster",
      name,
      { ...args, servers: withSecretConnections(args?.servers), agents: withSecretConnections(args?.agents) },
      opts,
    );

    const problems = new InputProblems();
    checkComponentName(problems, name, "K3sCluster");
    if (!checkKeys(problems, args, K3S_CLUSTER_KEYS, "", "K3sCluster")) args = {} as K3sClusterArgs;
    const hostList = (key: "servers" | "agents") =>
      expect.list(problems, args[key], key, "hosts (`node.host()` of each KvmNode)")
        ? args[key].filter((h, i) => checkHostArgs(problems, h, `${key}[${i}]`))
        : [];
    const servers = hostList("servers");
    const agents = hostList("agents");
    problems.check(servers.length > 0, "servers", "needs at least one server node");
    problems.check(
      servers.length <= 1 || servers.length % 2 === 1,
      "servers",
      `has ${servers.length} nodes; embedded etcd needs an odd number (1, 3, 5...) to keep a quorum through a failure`,
    );
    checkK3sVersion(problems, args.version ?? "", "version");
    const seen = new Set<string>();
    const all = [
      ...servers.map((h, i) => ({ h, path: `servers[${i}]` })),
      ...agents.map((h, i) => ({ h, path: `agents[${i}]` })),
    ];
    for (const { h, path } of all) {
      problems.check(
        !seen.has(h.name),
        `${path}.name`,
        `"${h.name}" is in the cluster twice; a node is a server or an agent, once`,
      );
      seen.add(h.name);
    }
    expect.map(
      problems,
      args.addresses,
      "addresses",
      "node names to mesh addresses (`WireGuardMesh.addresses`)",
    );
    const meshInterface = checkMeshContract(problems, args.mesh, "mesh").interfaceName;
    if (expect.list(problems, args.tlsSans, "tlsSans", "names or addresses"))
      args.tlsSans.forEach(
        (san, i) =>
          expect.string(problems, san, `tlsSans[${i}]`, '"k8s.example.no"') &&
          checkHost(problems, san, `tlsSans[${i}]`),
      );
    if (expect.list(problems, args.disable, "disable", 'packaged components such as "traefik"'))
      args.disable.forEach((d, i) => expect.string(problems, d, `disable[${i}]`, '"traefik"'));
    if (args.mirror !== undefined && checkKeys(problems, args.mirror, ["url"], "mirror", "mirror")) {
      const url = args.mirror.url;
      // Over plain http anyone on the path can swap the binary and the checksum file it is checked against.
      problems.check(
        typeof url === "string" && /^https:\/\/[^\s'"]+$/.test(url),
        "mirror.url",
        typeof url === "string" && url.startsWith("http://")
          ? `"${url}" is plain http, where the binaries and the checksums they are checked against can both be swapped on the way; serve the mirror over https, e.g. "https://mirror.example.no/k3s"`
          : `${JSON.stringify(url)} is not an https URL, e.g. "https://mirror.example.no/k3s"`,
      );
    }
    const residency = k3sClusterResidency(problems, name, servers, agents);
    problems.throwIfAny(`K3sCluster "${name}"`);
    enforceResidency(residency, args.residency, "servers", `K3sCluster "${name}"`);
    const nodes = residency.nodes;

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
    const hosts = Object.fromEntries(all.map(({ h }) => [h.name, h]));
    const token = new random.RandomPassword(
      `${name}-token`,
      { length: 48, special: false },
      { parent: this },
    );
    const secretToken = pulumi.secret(token.result);
    const source = {
      version: args.version,
      mirror: args.mirror?.url.replace(/\/+$/, "") ?? "",
      installScriptUrl: UPSTREAM_INSTALLER,
    };
    const addresses = pulumi.output(args.addresses);
    const first = hosts[plans[0].name];
    const apiEndpoint = pulumi.output(args.apiEndpoint ?? first.publicAddress);

    // One node at a time, in join order: each waits for the previous node's configure step.
    let previous: remote.Command | undefined;
    for (const plan of plans) {
      const host = hosts[plan.name];
      const install = hostStep(this, `${name}-${plan.name}-install`, {
        host,
        run: { name: "fortress-k3s-install", script: renderInstallScript(plan, source) },
        onDelete: { name: "fortress-k3s-uninstall", script: renderUninstallScript(plan) },
        after: previous ? [previous] : [],
      });
      const firewall = meshFirewallStep(
        this,
        name,
        host,
        meshDropInPath("k3s", name),
        addresses.apply((a) => renderMeshDropIn(name, meshAllowsOn(plan.name, declarations, zones), a)),
      );
      const config = pulumi
        .all([addresses, host.publicAddress, apiEndpoint])
        .apply(([addr, publicAddress, endpoint]) => {
          const meshAddress = addr[plan.name];
          if (!meshAddress)
            throw new pulumi.ResourceError(`addresses has no mesh address for node "${plan.name}"`, this);
          return renderYaml(
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
            }),
          );
        });
      previous = hostStep(this, `${name}-${plan.name}-configure`, {
        host,
        run: { name: "fortress-k3s-configure", script: config.apply((c) => renderConfigureScript(plan, c)) },
        // The token reaches the host on standard input only.
        stdin: secretToken.apply((t) => `${t}\n`),
        after: [install, firewall],
      });
    }

    const kubeconfigCommand = hostStep(this, `${name}-kubeconfig`, {
      host: first,
      run: { name: "fortress-k3s-kubeconfig", script: apiEndpoint.apply(renderKubeconfigScript) },
      after: [previous!],
      secretOutput: true,
    });
    this.kubeconfig = pulumi.secret(kubeconfigCommand.stdout);
    this.provider = new k8s.Provider(`${name}-provider`, { kubeconfig: this.kubeconfig }, { parent: this });
    this.apiServer = pulumi.interpolate`https://${apiEndpoint}:6443`;
    this.joinOrder = pulumi.output(plans.map((p) => p.name));
    this.nodeLabels = pulumi.output(labels);
    this.registerOutputs({
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
