import * as aws from "@pulumi/aws";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { InputProblems } from "../../sdk/errors";
import { HostBaselineSpec, renderFirewallRuleset, resolveHostBaseline } from "../../sdk/host";
import { Placement, ResolvedPlacement, kvmNodeResidency, placementLabels } from "../../sdk/residency";
import { bashCommand, contentHash } from "../../sdk/scripts/render";
import { checkComponentName, checkHost, checkKeys, checkPort } from "../../sdk/validate";
import { renderBaselineScript, renderFirewallConfirmScript, renderTeardownScript } from "./scripts";
import {
  EC2_KEYS,
  EXISTING_KEYS,
  KVM_NODE_KEYS,
  checkedBaseline,
  validateEc2,
  validateExisting,
} from "./validate";

export { HOST_KEYS, KVM_NODE_KEYS, checkHostArgs } from "./validate";

/** An existing server reached over SSH: how a CoolVDS instance (no API) or any VPS is used. */
export interface ExistingServerArgs {
  /** Address or DNS name that SSH connects to. Changing it re-runs the baseline on the new host. */
  readonly host: pulumi.Input<string>;
  /** SSH port. Default 22. It is always kept open by the firewall. */
  readonly port?: pulumi.Input<number>;
  /** SSH user. Default `root`; any other user runs the scripts through `sudo -n`. */
  readonly user?: pulumi.Input<string>;
  /** The SSH private key (OpenSSH or PEM). Pass it as a secret; it is kept secret either way. */
  readonly privateKey: pulumi.Input<string>;
  /** The server's public host key (`ssh-ed25519 AAAA...`) to pin. Default: not checked. */
  readonly hostKey?: pulumi.Input<string>;
  /** The server's private (LAN/VPC) address, if it has one. Default: the `host`. */
  readonly privateAddress?: pulumi.Input<string>;
}

/** An AWS EC2 instance the component creates: a Fleet node. */
export interface Ec2InstanceArgs {
  /** Who may reach SSH, as a CIDR (your admin network). Required: SSH is never open to the world. */
  readonly adminCidr: pulumi.Input<string>;
  /** Instance type. Default `t3.small`. Graviton types (`t4g...`) get an arm64 image. */
  readonly instanceType?: pulumi.Input<string>;
  /** AMI id. Default: the latest Debian 12 image published by Debian. Changing it replaces the instance. */
  readonly ami?: pulumi.Input<string>;
  /** Subnet to launch in. Default: the default VPC's default subnet. */
  readonly subnetId?: pulumi.Input<string>;
  /** VPC of the security group. Default: the default VPC. */
  readonly vpcId?: pulumi.Input<string>;
  /** SSH user of the image. Default `admin` (Debian's images). */
  readonly user?: pulumi.Input<string>;
  /** UDP port the WireGuard mesh uses, opened to the world (WireGuard authenticates peers). Default 51820. */
  readonly meshPort?: pulumi.Input<number>;
  /** Root volume size in GiB. Default 20. */
  readonly rootVolumeGb?: pulumi.Input<number>;
  /**
   * Let SSH be reached from anywhere when `adminCidr` is `0.0.0.0/0` or `::/0`. Default false: such
   * a CIDR is refused, because SSH open to the world is rarely meant.
   */
  readonly allowSshFromAnywhere?: boolean;
  /** Value of the `data-classification` tag on every AWS resource. Default `internal`: Fleet nodes hold no personal data. */
  readonly dataClassification?: pulumi.Input<string>;
  /** Extra tags for every AWS resource. */
  readonly tags?: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}

/** The default-deny inbound firewall the baseline installs. */
export interface FirewallArgs {
  /** Install the firewall. Default true. */
  readonly enabled?: boolean;
  /** Extra TCP ports open to everyone (the SSH port always is). */
  readonly allowedTcpPorts?: number[];
  /** UDP ports open to everyone. */
  readonly allowedUdpPorts?: number[];
  /** Interfaces whose traffic is trusted entirely (e.g. a private LAN). */
  readonly trustedInterfaces?: string[];
  /** Seconds a new ruleset waits for confirmation over a new SSH connection before it is rolled back. Default 120. */
  readonly rollbackSeconds?: number;
}

export interface KvmNodeArgs {
  /** Where the node runs; its residency facts and Kubernetes labels come from here. */
  readonly placement: Placement;
  /** An existing server reached over SSH. Give exactly one of `existing` and `ec2`. */
  readonly existing?: ExistingServerArgs;
  /** An EC2 instance created by the component. Give exactly one of `existing` and `ec2`. */
  readonly ec2?: Ec2InstanceArgs;
  /** Debian packages to install besides the baseline's own. */
  readonly extraPackages?: string[];
  /** Kernel settings to add or override (`{"net.core.somaxconn": "4096"}`). */
  readonly sysctl?: { [key: string]: string };
  /** The firewall baseline. */
  readonly firewall?: FirewallArgs;
}

/** How later components reach the node: the shape of a `@pulumi/command` connection. */
export interface NodeConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly privateKey: string;
  readonly hostKey?: string;
  readonly dialErrorLimit: number;
  readonly perDialTimeout: number;
}

/**
 * A prepared host as the components built on it take it (WireGuardMesh, GtidMySql, K3sCluster):
 * plain data rather than a KvmNode, so programs in other Pulumi languages can pass it too.
 * `KvmNode.host()` gives it; any other SSH-reachable, prepared host can be described by hand.
 */
export interface HostArgs {
  /** The host's stable key: children of later components are named after it. */
  readonly name: string;
  /** How to reach it over SSH (a secret: it holds the private key). */
  readonly connection: pulumi.Input<NodeConnection>;
  /** The address its peers reach it on (the mesh endpoint). */
  readonly publicAddress: pulumi.Input<string>;
  /** Where it runs, for the residency rules of what is placed on it. */
  readonly placement: Placement;
  /** The step that prepared it; commands on the host run after it. */
  readonly ready?: remote.Command;
}

/**
 * The SSH user of a connection, out of the secret connection: a user name is no secret, and a
 * script rendered from it must stay readable in state and diffs.
 */
export function sshUser(connection: pulumi.Input<NodeConnection>): pulumi.Output<string> {
  return pulumi.unsecret(pulumi.output(connection).apply((c) => c.user));
}

const DEBIAN_AMI_OWNER = "136693071363";

/**
 * One host reached over SSH — an existing server or an EC2 instance — prepared with the Fortress
 * baseline: packages, kernel tuning and a firewall that cannot lock out SSH.
 */
export class KvmNode extends pulumi.ComponentResource {
  /** How to reach the host over SSH (secret: it holds the private key). */
  public readonly connection: pulumi.Output<NodeConnection>;
  /** The resolved placement: country, provider, legal seat. */
  public readonly placement: pulumi.Output<ResolvedPlacement>;
  /** Kubernetes node labels: `region`, `topology.kubernetes.io/region`, `fortress.io/jurisdiction`. */
  public readonly labels: pulumi.Output<{ [key: string]: string }>;
  /** The address SSH and the mesh's peers use. */
  public readonly publicAddress: pulumi.Output<string>;
  /** The host's private address (the public one where it has none). */
  public readonly privateAddress: pulumi.Output<string>;
  /** What the baseline run printed: what it changed, what the kernel skipped. */
  public readonly baselineLog: pulumi.Output<string>;
  /** The last step of preparing the host; later commands on this node depend on it. */
  public readonly ready: remote.Command;

  /** The plain placement, for the residency rules of components built on this node. */
  public readonly resolvedPlacement: ResolvedPlacement;
  /** The node's name, the key later components name their children after. */
  public readonly nodeName: string;
  private readonly placementArgs: Placement;

  constructor(name: string, args: KvmNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    // The args become the component's inputs in state: the key goes there as a secret, whatever the caller passed.
    super("fortress:index:KvmNode", name, withSecretKey(args), opts);

    const problems = new InputProblems();
    checkComponentName(problems, name, "node");
    if (!checkKeys(problems, args, KVM_NODE_KEYS, "", "KvmNode")) args = {} as KvmNodeArgs;
    const residency = kvmNodeResidency(problems, name, args.placement);
    const placement = residency.nodes[0]?.placement;
    problems.check(
      (args.existing === undefined) !== (args.ec2 === undefined),
      args.existing ? "ec2" : "existing",
      args.existing
        ? "give either `existing` (a server reached over SSH) or `ec2` (an instance to create), not both"
        : "give `existing` (a server reached over SSH) or `ec2` (an instance to create)",
    );
    if (
      args.existing !== undefined &&
      checkKeys(problems, args.existing, EXISTING_KEYS, "existing", "existing server")
    )
      validateExisting(problems, args.existing);
    if (args.ec2 !== undefined && checkKeys(problems, args.ec2, EC2_KEYS, "ec2", "ec2"))
      validateEc2(problems, args.ec2, placement);
    const plainPort = typeof args.existing?.port === "number" ? args.existing.port : 22;
    const baselineInput = checkedBaseline(problems, args);
    resolveHostBaseline({ sshPort: plainPort, ...baselineInput }, problems);
    problems.throwIfAny(`KvmNode "${name}"`);
    // After throwIfAny, placement is resolved.
    this.resolvedPlacement = placement!;
    this.nodeName = name;
    this.placementArgs = args.placement;
    this.placement = pulumi.output(this.resolvedPlacement);
    this.labels = pulumi.output(placementLabels(this.resolvedPlacement));

    const target = args.existing
      ? this.existingTarget(args.existing)
      : this.ec2Target(name, args.ec2!, this.resolvedPlacement);
    this.connection = pulumi.secret(target.connection);
    this.publicAddress = target.publicAddress;
    this.privateAddress = target.privateAddress;

    // Port and user come straight from the args, not through the secret connection, so the
    // scripts stay readable (not secret) in state and diffs.
    const spec = target.port.apply((port) =>
      resolveHostBaseline({ sshPort: port, ...baselineInput }, new InputProblems()),
    );
    const user = target.user;

    const baseline = new remote.Command(
      `${name}-baseline`,
      {
        connection: this.connection,
        addPreviousOutputInEnv: false,
        create: pulumi
          .all([spec, user])
          .apply(([s, u]) => bashCommand(renderBaselineScript(s), u, "fortress-baseline")),
        delete: user.apply((u) => bashCommand(renderTeardownScript(), u, "fortress-baseline-teardown")),
      },
      { parent: this, dependsOn: target.dependsOn },
    );
    this.baselineLog = pulumi.all([baseline.stdout, baseline.stderr]).apply(([o, e]) => `${e}${o}`);

    const firewallEnabled = args.firewall?.enabled ?? true;
    this.ready = firewallEnabled
      ? new remote.Command(
          `${name}-firewall-confirm`,
          {
            connection: this.connection,
            addPreviousOutputInEnv: false,
            create: pulumi
              .all([spec, user])
              .apply(([s, u]) => bashCommand(renderFirewallConfirmScript(s), u, "fortress-firewall-confirm")),
            // Re-confirm exactly when the ruleset changes, which is when the baseline arms a rollback.
            triggers: [spec.apply((s: HostBaselineSpec) => contentHash(renderFirewallRuleset(s.firewall)))],
          },
          { parent: this, dependsOn: [baseline] },
        )
      : baseline;

    this.registerOutputs({
      connection: this.connection,
      placement: this.placement,
      labels: this.labels,
      publicAddress: this.publicAddress,
      privateAddress: this.privateAddress,
      baselineLog: this.baselineLog,
      ready: this.ready,
      // For the policy pack: under the real engine a stack policy sees a component's outputs only.
      residency,
    });
  }

  /** This node as the components built on it take it. */
  host(): HostArgs {
    return {
      name: this.nodeName,
      connection: this.connection,
      publicAddress: this.publicAddress,
      placement: this.placementArgs,
      ready: this.ready,
    };
  }

  private existingTarget(e: ExistingServerArgs): Target {
    const connection = pulumi
      .all([e.host, e.port ?? 22, e.user ?? "root", e.privateKey, e.hostKey])
      .apply(([host, port, user, privateKey, hostKey]) => {
        // Values that were Outputs at construction are checked here, once known.
        const late = new InputProblems();
        checkHost(late, host, "existing.host");
        checkPort(late, port, "existing.port");
        try {
          late.throwIfAny("KvmNode");
        } catch (err) {
          throw new pulumi.ResourceError((err as Error).message, this);
        }
        const c: NodeConnection = {
          host,
          port,
          user,
          privateKey,
          dialErrorLimit: 10,
          perDialTimeout: 15,
          ...(hostKey ? { hostKey } : {}),
        };
        return c;
      });
    return {
      connection,
      port: pulumi.output(e.port ?? 22),
      user: pulumi.output(e.user ?? "root"),
      publicAddress: pulumi.output(e.host),
      privateAddress: pulumi.output(e.privateAddress ?? e.host),
      dependsOn: [],
    };
  }

  private ec2Target(name: string, ec2: Ec2InstanceArgs, placement: ResolvedPlacement): Target {
    const region = placement.region;
    const tags = pulumi.all([ec2.tags ?? {}, ec2.dataClassification ?? "internal"]).apply(([t, cls]) => ({
      ...t,
      Name: name,
      "data-classification": cls,
      "fortress:node": name,
    }));

    const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, { parent: this });
    const keyPair = new aws.ec2.KeyPair(
      `${name}-keypair`,
      { publicKey: key.publicKeyOpenssh, region, tags },
      { parent: this },
    );
    const meshPort = ec2.meshPort ?? 51820;
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        description: `Fortress node ${name}: SSH from the admin network, WireGuard mesh`,
        vpcId: ec2.vpcId,
        region,
        ingress: [
          {
            description: "SSH from admins",
            protocol: "tcp",
            fromPort: 22,
            toPort: 22,
            cidrBlocks: [ec2.adminCidr],
          },
          {
            description: "WireGuard mesh",
            protocol: "udp",
            fromPort: meshPort,
            toPort: meshPort,
            cidrBlocks: ["0.0.0.0/0"],
            ipv6CidrBlocks: ["::/0"],
          },
        ],
        egress: [
          { protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
        ],
        tags,
      },
      { parent: this },
    );
    const instanceType = ec2.instanceType ?? "t3.small";
    const ami =
      ec2.ami ??
      aws.ec2
        .getAmiOutput(
          {
            owners: [DEBIAN_AMI_OWNER],
            mostRecent: true,
            region,
            filters: [
              {
                name: "name",
                values: [pulumi.output(instanceType).apply((t) => `debian-12-${amiArchitecture(t)}-*`)],
              },
              { name: "virtualization-type", values: ["hvm"] },
            ],
          },
          { parent: this },
        )
        .apply((image) => image.id);
    const instance = new aws.ec2.Instance(
      `${name}-instance`,
      {
        ami,
        instanceType,
        keyName: keyPair.keyName,
        subnetId: ec2.subnetId,
        vpcSecurityGroupIds: [securityGroup.id],
        associatePublicIpAddress: true,
        region,
        rootBlockDevice: { volumeSize: ec2.rootVolumeGb ?? 20, volumeType: "gp3", encrypted: true },
        metadataOptions: { httpTokens: "required" },
        tags,
      },
      { parent: this },
    );
    const connection = pulumi
      .all([instance.publicIp, ec2.user ?? "admin", key.privateKeyOpenssh])
      .apply(([host, user, privateKey]) => {
        // A new instance needs a minute or two before sshd answers.
        const c: NodeConnection = {
          host,
          port: 22,
          user,
          privateKey,
          dialErrorLimit: 40,
          perDialTimeout: 15,
        };
        return c;
      });
    return {
      connection,
      port: pulumi.output(22),
      user: pulumi.output(ec2.user ?? "admin"),
      publicAddress: instance.publicIp,
      privateAddress: instance.privateIp,
      dependsOn: [instance],
    };
  }
}

interface Target {
  readonly connection: pulumi.Output<NodeConnection>;
  readonly port: pulumi.Output<number>;
  readonly user: pulumi.Output<string>;
  readonly publicAddress: pulumi.Output<string>;
  readonly privateAddress: pulumi.Output<string>;
  readonly dependsOn: pulumi.Resource[];
}

function withSecretKey(args: KvmNodeArgs): KvmNodeArgs {
  return args?.existing?.privateKey === undefined
    ? args
    : { ...args, existing: { ...args.existing, privateKey: pulumi.secret(args.existing.privateKey) } };
}

/** The same hosts, their connections (which hold private keys) marked secret for the state. */
export function withSecretConnections(hosts: readonly HostArgs[] | undefined): HostArgs[] | undefined {
  // Malformed hosts pass as they are: the component reports them with their paths.
  if (!Array.isArray(hosts)) return hosts as HostArgs[] | undefined;
  return hosts.map((h: HostArgs) =>
    typeof h === "object" && h !== null ? { ...h, connection: pulumi.secret(h.connection) } : h,
  );
}

/** Graviton instance families carry a `g` after the generation digit (t4g, m7gd, c6gn). */
export function amiArchitecture(instanceType: string): "arm64" | "amd64" {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "amd64";
}
