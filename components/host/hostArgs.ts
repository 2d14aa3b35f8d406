// The host contract: what every component built on a prepared host takes (WireGuardMesh,
// K3sCluster, GtidMySql), as plain data rather than a KvmNode, so programs in other Pulumi
// languages can pass it too. `KvmNode.host()` gives it; any SSH-reachable, prepared host can be
// described by hand.
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { InputProblems } from "../../sdk/errors";
import { Placement } from "../../sdk/residency";
import { checkKeys, describeValue, expect, isOutputLike, isPlainObject } from "../../sdk/validate";

/** How components reach a host: the shape of a `@pulumi/command` connection. */
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
 * A cloud firewall in front of the host (an EC2 security group), for the components that must
 * open a port to the internet in it: only the mesh does, at the port it listens on.
 */
export interface CloudFirewall {
  readonly securityGroupId: pulumi.Input<string>;
  /** The AWS region the group is in. */
  readonly region: string;
  /** Tags for the rules (the node's, with its data classification). */
  readonly tags: pulumi.Input<{ [key: string]: pulumi.Input<string> }>;
}

/** What a host step needs: how to reach the host, and the step that prepared it. */
export interface HostTarget {
  /** How to reach it over SSH (a secret: it holds the private key). */
  readonly connection: pulumi.Input<NodeConnection>;
  /** The step that prepared it; commands on the host run after it. */
  readonly ready?: remote.Command;
}

/** A prepared host as the components built on it take it. */
export interface HostArgs extends HostTarget {
  /** The host's stable key: children of later components are named after it. */
  readonly name: string;
  /** The address its peers reach it on (the mesh endpoint). */
  readonly publicAddress: pulumi.Input<string>;
  /** Where it runs, for the residency rules of what is placed on it. */
  readonly placement: Placement;
  /** The cloud firewall in front of it, if any (KvmNode's EC2 security group). */
  readonly cloudFirewall?: CloudFirewall;
}

const CLOUD_FIREWALL_KEYS = ["securityGroupId", "region", "tags"];

/** Every setting of HostArgs: what `KvmNode.host()` gives, and what a host given by hand may say. */
export const HOST_KEYS = ["name", "connection", "publicAddress", "placement", "ready", "cloudFirewall"];

/**
 * Checks a host given to a component (`KvmNode.host()` or one described by hand): its keys, and
 * that its connection and address are of the right kind. Its placement is the residency facts'.
 */
export function checkHostArgs(problems: InputProblems, h: unknown, path: string): h is HostArgs {
  if (!checkKeys(problems, h, HOST_KEYS, path, "host")) return false;
  const host = h;
  const before = problems.list.length;
  if (host.name === undefined)
    problems.add(`${path}.name`, 'is required: the host\'s stable key, e.g. "osl-1"');
  expect.string(problems, host.name, `${path}.name`, '"osl-1"');
  if (!isOutputLike(host.connection))
    problems.check(
      isPlainObject(host.connection),
      `${path}.connection`,
      `must be the SSH connection (\`KvmNode.connection\`: host, port, user, privateKey), not ${describeValue(host.connection)}`,
    );
  if (host.publicAddress === undefined)
    problems.add(`${path}.publicAddress`, "is required: the address its peers reach it on");
  expect.string(problems, host.publicAddress, `${path}.publicAddress`, '"203.0.113.10"');
  // Given by hand, a cloud firewall the mesh would open its port in must be a whole one.
  const fw = host.cloudFirewall;
  if (
    fw !== undefined &&
    checkKeys(problems, fw, CLOUD_FIREWALL_KEYS, `${path}.cloudFirewall`, "cloudFirewall")
  ) {
    if (fw.securityGroupId === undefined)
      problems.add(
        `${path}.cloudFirewall.securityGroupId`,
        'is required: the security group id, e.g. "sg-0123456789abcdef0"',
      );
    expect.string(
      problems,
      fw.securityGroupId,
      `${path}.cloudFirewall.securityGroupId`,
      '"sg-0123456789abcdef0"',
    );
    if (fw.region === undefined)
      problems.add(
        `${path}.cloudFirewall.region`,
        'is required: the AWS region of the group, e.g. "eu-north-1"',
      );
    expect.string(problems, fw.region, `${path}.cloudFirewall.region`, '"eu-north-1"');
    expect.map(problems, fw.tags, `${path}.cloudFirewall.tags`, "tag names to values");
  }
  return problems.list.length === before;
}

/**
 * The SSH user of a connection, out of the secret connection: a user name is no secret, and a
 * script rendered from it must stay readable in state and diffs. Plain when it is known without
 * waiting for the connection: a connection given as plain data, or one KvmNode made and
 * remembered with `rememberConnection`.
 */
export function sshUser(connection: pulumi.Input<NodeConnection>): pulumi.Input<string> {
  // Not `.user` on an Output: its Proxy would lift the property into a new Output.
  if (!pulumi.Output.isInstance(connection)) {
    const plain = (connection as Partial<NodeConnection>).user;
    if (typeof plain === "string") return plain;
  }
  // Once per connection, not once per step: every Output costs the SDK a handful of promises.
  let user = usersOf.get(connection);
  if (user === undefined) {
    user = pulumi.unsecret(pulumi.output(connection).apply((c) => c.user));
    usersOf.set(connection, user);
  }
  return user;
}
const usersOf = new WeakMap<object, pulumi.Input<string>>();

/**
 * Records a connection KvmNode made: already secret, and logging in as `user` (remembered when
 * plain, so steps on the host render without waiting for the connection).
 */
export function rememberConnection(
  connection: pulumi.Output<NodeConnection>,
  user: pulumi.Input<string>,
): void {
  secretConnections.add(connection);
  if (typeof user === "string") usersOf.set(connection, user);
}
const secretConnections = new WeakSet<object>();

/**
 * A host as a component records it among its inputs in state: the connection (which holds the
 * private key) secret, and without `ready`. The step that prepared the host is no setting of the
 * component, and a reference to it in state is only a URN to resolve.
 */
export function hostForState<H>(h: H): H {
  // Malformed hosts pass as they are: the component reports them with their paths.
  if (typeof h !== "object" || h === null || Array.isArray(h)) return h;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  const { ready, ...rest } = h as unknown as HostArgs;
  const connection = rest.connection;
  return (
    connection === undefined || secretConnections.has(connection)
      ? rest
      : { ...rest, connection: pulumi.secret(connection) }
  ) as H;
}

/** `hostForState` of each host. */
export function hostsForState<H>(hosts: readonly H[] | undefined): H[] | undefined {
  if (hosts === undefined || !Array.isArray(hosts)) return hosts as H[] | undefined;
  const list: readonly H[] = hosts;
  return list.map((h) => hostForState(h));
}

// Which node each of a mesh's own steps configured (WireGuardMesh marks them), so a component
// given them as `meshReady` waits only for the mesh on the nodes a step uses.
const meshStepNodes = new WeakMap<object, string>();

/** Marks the step that brought the mesh up on `node`. */
export function markMeshStep(step: remote.Command, node: string): void {
  meshStepNodes.set(step, node);
}

/**
 * What of `meshReady` a step that uses the mesh on `nodes` waits for: the mesh's own steps on
 * those nodes, and every step that is not a marked mesh step (a program may give its own).
 */
export function meshStepsOn(
  meshReady: readonly remote.Command[] | undefined,
  nodes: readonly string[],
): remote.Command[] {
  return (meshReady ?? []).filter((s) => {
    const node = meshStepNodes.get(s);
    return node === undefined || nodes.includes(node);
  });
}
