// KvmNode's argument checks: every problem with its property path and what would be valid, and a
// value of the wrong type reported rather than crashed on.
import { InputProblems } from "../../sdk/errors";
import { resolveHostBaseline } from "../../sdk/host";
import { ResolvedPlacement, kvmNodeResidency, parseDataClass } from "../../sdk/residency";
import {
  INSTANCE_TYPE,
  checkCidr,
  checkComponentName,
  checkHost,
  checkKeys,
  checkPort,
  expect,
  isOutputLike,
  isWholeInternet,
} from "../../sdk/validate";
import type { Ec2InstanceArgs, ExistingServerArgs, FirewallArgs, KvmNodeArgs } from "./kvmNode";

const HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( \S+)?$/;

/** Every setting of KvmNodeArgs (and its sub-objects): anything else is a typo to name. */
export const KVM_NODE_KEYS = ["placement", "existing", "ec2", "extraPackages", "sysctl", "firewall"];
export const EXISTING_KEYS = ["host", "port", "user", "privateKey", "hostKey", "privateAddress"];
export const EC2_KEYS = [
  "adminCidr",
  "allowSshFromAnywhere",
  "instanceType",
  "ami",
  "subnetId",
  "vpcId",
  "user",
  "rootVolumeGb",
  "dataClassification",
  "tags",
];
export const FIREWALL_KEYS = [
  "enabled",
  "allowedTcpPorts",
  "allowedUdpPorts",
  "trustedInterfaces",
  "rollbackSeconds",
];

/** The baseline's args with their types checked: a value of the wrong type is a problem, not a crash. */
export function checkedBaseline(problems: InputProblems, args: KvmNodeArgs) {
  const list = (v: unknown, path: string, of: string) => (expect.list(problems, v, path, of) ? v : undefined);
  const extraPackages = list(args.extraPackages, "extraPackages", "Debian package names") as
    string[] | undefined;
  extraPackages?.forEach((p, i) => expect.string(problems, p, `extraPackages[${i}]`, '"htop"'));
  const sysctl = expect.map(problems, args.sysctl, "sysctl", "sysctl keys to values")
    ? (args.sysctl as Record<string, unknown>)
    : undefined;
  for (const [k, v] of Object.entries(sysctl ?? {})) expect.string(problems, v, `sysctl["${k}"]`, '"4096"');
  let firewall: FirewallArgs | undefined;
  if (
    args.firewall !== undefined &&
    checkKeys(problems, args.firewall, FIREWALL_KEYS, "firewall", "firewall")
  ) {
    const fw = args.firewall;
    expect.boolean(problems, fw.enabled, "firewall.enabled");
    expect.number(problems, fw.rollbackSeconds, "firewall.rollbackSeconds", "30 to 3600 seconds");
    const ports = (key: "allowedTcpPorts" | "allowedUdpPorts") =>
      list(fw[key], `firewall.${key}`, "port numbers") as number[] | undefined;
    const interfaces = list(fw.trustedInterfaces, "firewall.trustedInterfaces", "interface names") as
      string[] | undefined;
    interfaces?.forEach((n, i) => expect.string(problems, n, `firewall.trustedInterfaces[${i}]`, '"eth1"'));
    firewall = {
      ...fw,
      allowedTcpPorts: ports("allowedTcpPorts"),
      allowedUdpPorts: ports("allowedUdpPorts"),
      trustedInterfaces: interfaces,
    };
  }
  const ok = problems.list.length === 0;
  // Values of the wrong type are reported above; the baseline checks the rest.
  return ok
    ? { extraPackages: args.extraPackages, sysctl: args.sysctl, firewall: args.firewall }
    : {
        extraPackages: extraPackages?.filter((p) => typeof p === "string"),
        firewall: firewall && {
          ...firewall,
          trustedInterfaces: firewall.trustedInterfaces?.filter((n) => typeof n === "string"),
        },
      };
}

export function validateExisting(problems: InputProblems, e: ExistingServerArgs): void {
  if (e.host === undefined) problems.add("existing.host", "is required: the server's address or DNS name");
  else expect.string(problems, e.host, "existing.host", '"203.0.113.10"');
  expect.number(problems, e.port, "existing.port", "1 to 65535");
  expect.string(problems, e.user, "existing.user", '"root"');
  if (typeof e.host === "string") checkHost(problems, e.host, "existing.host");
  if (typeof e.port === "number") checkPort(problems, e.port, "existing.port");
  if (typeof e.user === "string") {
    problems.check(
      /^[a-z_][a-z0-9_-]*[$]?$/.test(e.user),
      "existing.user",
      `"${e.user}" is not a user name; use a login such as "root" or "debian"`,
    );
  }
  problems.check(
    e.privateKey !== undefined && e.privateKey !== "",
    "existing.privateKey",
    "is required: the SSH private key, as a secret (`pulumi config set --secret`)",
  );
  expect.string(problems, e.privateKey, "existing.privateKey", '"-----BEGIN OPENSSH PRIVATE KEY-----..."');
  if (typeof e.hostKey === "string") {
    problems.check(
      HOST_KEY.test(e.hostKey.trim()),
      "existing.hostKey",
      'must be the server\'s public host key such as "ssh-ed25519 AAAAC3Nz..." (see /etc/ssh/ssh_host_ed25519_key.pub)',
    );
  }
}

export function validateEc2(
  problems: InputProblems,
  ec2: Ec2InstanceArgs,
  placement: ResolvedPlacement | undefined,
): void {
  expect.boolean(problems, ec2.allowSshFromAnywhere, "ec2.allowSshFromAnywhere");
  if (typeof ec2.adminCidr === "string") {
    if (checkCidr(problems, ec2.adminCidr, "ec2.adminCidr") && isWholeInternet(ec2.adminCidr)) {
      problems.check(
        ec2.allowSshFromAnywhere === true,
        "ec2.adminCidr",
        `"${ec2.adminCidr}" opens SSH to the whole internet; give your admin network (e.g. "203.0.113.0/24"), ` +
          "or set ec2.allowSshFromAnywhere: true if that is really meant",
      );
    }
  } else if (!isOutputLike(ec2.adminCidr)) {
    problems.add(
      "ec2.adminCidr",
      ec2.adminCidr === undefined
        ? 'is required, e.g. "203.0.113.0/24"'
        : `must be a CIDR string such as "203.0.113.0/24", not ${JSON.stringify(ec2.adminCidr)}`,
    );
  }
  if (expect.string(problems, ec2.instanceType, "ec2.instanceType", '"t3.small"')) {
    problems.check(
      INSTANCE_TYPE.test(ec2.instanceType),
      "ec2.instanceType",
      `"${ec2.instanceType}" is not an EC2 instance type; use family, generation and size such as "t3.small" or "m7g.large"`,
    );
  }
  if (expect.string(problems, ec2.dataClassification, "ec2.dataClassification", '"internal"')) {
    try {
      parseDataClass(ec2.dataClassification, "ec2.dataClassification");
    } catch (e) {
      problems.absorb(e);
    }
  }
  expect.number(problems, ec2.rootVolumeGb, "ec2.rootVolumeGb", "8 to 16384 GiB");
  expect.map(problems, ec2.tags, "ec2.tags", "tag names to values");
  if (typeof ec2.rootVolumeGb === "number") {
    problems.check(
      Number.isInteger(ec2.rootVolumeGb) && ec2.rootVolumeGb >= 8 && ec2.rootVolumeGb <= 16384,
      "ec2.rootVolumeGb",
      `${ec2.rootVolumeGb} is out of range; use 8 to 16384 GiB`,
    );
  }
  if (placement) {
    problems.check(
      placement.provider === "aws",
      "placement.provider",
      `is "${placement.provider}", but an \`ec2\` node runs on AWS; set provider "aws"`,
    );
    problems.check(
      placement.region !== undefined,
      "placement.region",
      'is required for an `ec2` node: the AWS region to launch in, e.g. "eu-north-1"',
    );
  }
}

/**
 * Every problem of a KvmNode's args, thrown at once under `KvmNode "<name>"`, before anything is
 * registered; what the node is built from when there is none.
 */
export function checkKvmNodeArgs(name: string, raw: KvmNodeArgs) {
  let args = raw;
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
  return { args, residency, placement: placement, baselineInput };
}
