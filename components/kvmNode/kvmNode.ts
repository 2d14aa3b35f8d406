import * as aws from "@pulumi/aws";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { InputProblems } from "../../sdk/errors";
import { HostBaselineSpec, renderFirewallRuleset, resolveHostBaseline } from "../../sdk/host";
import { Placement, ResolvedPlacement, placementLabels } from "../../sdk/residency";
import { Eventually, combine, combineOutput, eventually, whenKnown } from "../../sdk/outputs";
import { contentHash } from "../../sdk/scripts/render";
import { checkHost, checkPort } from "../../sdk/validate";
import { DEFAULT_INSTANCE_TYPE, debianAmi } from "./ami";
import { renderBaselineScript, renderFirewallConfirmScript, renderTeardownScript } from "./scripts";
import { checkKvmNodeArgs } from "./validate";

import { CloudFirewall, HostArgs, NodeConnection, rememberConnection } from "../host/hostArgs";
import { hostStep } from "../host/hostStep";

export { KVM_NODE_KEYS, checkKvmNodeArgs } from "./validate";
export { DEFAULT_INSTANCE_TYPE, amiArchitecture, debianAmi } from "./ami";

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

/**
 * One host reached over SSH — an existing server or an EC2 instance — prepared with the Fortress
 * baseline: packages, kernel tuning and a firewall that cannot lock out SSH.
 */
export class KvmNode extends pulumi.ComponentResource {
  /** How to reach the host over SSH (secret: it holds the private key). */
  public readonly connection: pulumi.Output<NodeConnection>;
  /** The EC2 security group in front of the node, for the mesh to open its port in; none for an existing server. */
  public readonly cloudFirewall?: CloudFirewall;
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

    const checked = checkKvmNodeArgs(name, args);
    args = checked.args;
    const { residency, placement, baselineInput } = checked;
    this.resolvedPlacement = placement;
    this.nodeName = name;
    this.placementArgs = args.placement;
    this.placement = pulumi.output(this.resolvedPlacement);
    this.labels = pulumi.output(placementLabels(this.resolvedPlacement));

    const target = args.existing
      ? this.existingTarget(args.existing)
      : this.ec2Target(name, args.ec2!, this.resolvedPlacement);
    this.connection = pulumi.secret(target.connection);
    rememberConnection(this.connection, target.user);
    this.publicAddress = target.publicAddress;
    this.privateAddress = target.privateAddress;

    const spec = whenKnown(target.port, (port) =>
      resolveHostBaseline({ sshPort: port, ...baselineInput }, new InputProblems()),
    );
    const self = { connection: this.connection };
    const baseline = hostStep(this, `${name}-baseline`, {
      host: self,
      run: { name: "fortress-baseline", script: whenKnown(spec, renderBaselineScript) },
      onDelete: { name: "fortress-baseline-teardown", script: renderTeardownScript() },
      after: target.dependsOn,
    });
    this.baselineLog = combineOutput([baseline.stdout, baseline.stderr], ([o, e]) => `${e}${o}`);

    const firewallEnabled = args.firewall?.enabled ?? true;
    this.ready = firewallEnabled
      ? hostStep(this, `${name}-firewall-confirm`, {
          host: self,
          run: { name: "fortress-firewall-confirm", script: whenKnown(spec, renderFirewallConfirmScript) },
          // Re-confirm exactly when the ruleset changes, which is when the baseline arms a rollback.
          triggers: [
            whenKnown(spec, (s: HostBaselineSpec) => contentHash(renderFirewallRuleset(s.firewall))),
          ],
          after: [baseline],
        })
      : baseline;
    this.cloudFirewall = target.cloudFirewall;

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
      ...(this.cloudFirewall ? { cloudFirewall: this.cloudFirewall } : {}),
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
      user: e.user ?? "root",
      port: eventually(e.port ?? 22),
      publicAddress: pulumi.output(e.host),
      privateAddress: pulumi.output(e.privateAddress ?? e.host),
      dependsOn: [],
    };
  }

  private ec2Target(name: string, ec2: Ec2InstanceArgs, placement: ResolvedPlacement): Target {
    const region = placement.region;
    const tags = combine([ec2.tags ?? {}, ec2.dataClassification ?? "internal"], ([t, cls]) => ({
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
    // Rules as resources of their own, none inline: inline rules would make the group drop the
    // rules other components add (the mesh opens its port, at the port it listens on).
    const securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { description: `Fortress node ${name}`, vpcId: ec2.vpcId, region, tags },
      { parent: this },
    );
    const adminCidr = eventually(ec2.adminCidr);
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-sg-ssh`,
      {
        securityGroupId: securityGroup.id,
        description: "SSH from admins",
        ipProtocol: "tcp",
        fromPort: 22,
        toPort: 22,
        cidrIpv4: whenKnown(adminCidr, (c) => (c.includes(":") ? undefined : c)),
        cidrIpv6: whenKnown(adminCidr, (c) => (c.includes(":") ? c : undefined)),
        region,
        tags,
      },
      { parent: this },
    );
    for (const [family, cidr] of [
      ["ipv4", "0.0.0.0/0"],
      ["ipv6", "::/0"],
    ] as const) {
      new aws.vpc.SecurityGroupEgressRule(
        `${name}-sg-egress-${family}`,
        {
          securityGroupId: securityGroup.id,
          description: "All outbound",
          ipProtocol: "-1",
          ...(family === "ipv4" ? { cidrIpv4: cidr } : { cidrIpv6: cidr }),
          region,
          tags,
        },
        { parent: this },
      );
    }
    const instanceType = ec2.instanceType ?? DEFAULT_INSTANCE_TYPE;
    const ami = ec2.ami ?? debianAmi(region, instanceType, { parent: this });
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
    const connection = combineOutput(
      [instance.publicIp, ec2.user ?? "admin", key.privateKeyOpenssh],
      ([host, user, privateKey]) => {
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
      },
    );
    return {
      connection,
      user: ec2.user ?? "admin",
      port: 22,
      publicAddress: instance.publicIp,
      privateAddress: instance.privateIp,
      dependsOn: [instance],
      cloudFirewall: { securityGroupId: securityGroup.id, region: region!, tags },
    };
  }
}

interface Target {
  readonly connection: pulumi.Output<NodeConnection>;
  /** The user the connection logs in as, as given: plain in the usual case. */
  readonly user: pulumi.Input<string>;
  readonly port: Eventually<number>;
  readonly cloudFirewall?: CloudFirewall;
  readonly publicAddress: pulumi.Output<string>;
  readonly privateAddress: pulumi.Output<string>;
  readonly dependsOn: pulumi.Resource[];
}

function withSecretKey(args: KvmNodeArgs): KvmNodeArgs {
  return args?.existing?.privateKey === undefined
    ? args
    : { ...args, existing: { ...args.existing, privateKey: pulumi.secret(args.existing.privateKey) } };
}
