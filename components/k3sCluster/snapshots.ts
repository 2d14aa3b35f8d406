// etcd snapshots to a backup node: k3s takes them on every server (its own schedule, config.yaml);
// each server seals them for the backup public key into an outbox; the backup node fetches the
// sealed files over the mesh with a key made on it, accepted only from its mesh address and only
// for listing and sending sealed files.
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { K3S_SNAPSHOT_DIR } from "../../sdk/k3s";
import { DEFAULT_SNAPSHOT_KEEP } from "../../sdk/k3sArgs";
import { combine, whenKnown } from "../../sdk/outputs";
import { HostArgs } from "../host/hostArgs";
import { hostStep } from "../host/hostStep";
import {
  renderSnapshotSourceScript,
  renderSnapshotTargetScript,
  renderSnapshotTeardownScript,
} from "./scripts";

export interface SnapshotStepsArgs {
  /** The backup node. */
  readonly node: HostArgs;
  readonly servers: readonly HostArgs[];
  readonly addresses: pulumi.Output<{ [node: string]: string }>;
  readonly keep?: number;
  readonly meshReady: readonly remote.Command[];
  /** Each server's start: its outbox is set up once k3s runs there. */
  readonly started: { readonly [server: string]: remote.Command };
}

const SSH_PUBLIC_KEY = /^ssh-ed25519 [A-Za-z0-9+/=]+$/;

export function snapshotSteps(
  parent: pulumi.Resource,
  name: string,
  a: SnapshotStepsArgs,
): { privateKeyPem: pulumi.Output<string> } {
  const key = new tls.PrivateKey(`${name}-snapshot-key`, { algorithm: "RSA", rsaBits: 3072 }, { parent });
  const sshPort = (h: HostArgs) => pulumi.unsecret(pulumi.output(h.connection).apply((c) => c.port));
  const servers = combine(
    a.servers.map((s) => whenKnown(sshPort(s), (port) => [s.name, port] as const)),
    (list) => list,
  );
  const target = hostStep(parent, `${name}-snapshots`, {
    host: a.node,
    run: {
      name: "fortress-k3s-snapshot-target",
      script: combine([a.addresses, servers], ([addr, list]) =>
        renderSnapshotTargetScript(
          name,
          list.map(([server, port]) => ({ name: server, meshAddress: addr[server], sshPort: port })),
          a.keep ?? DEFAULT_SNAPSHOT_KEEP,
        ),
      ),
    },
    onDelete: {
      name: "fortress-k3s-snapshot-teardown",
      script: renderSnapshotTeardownScript(name, "target"),
    },
    after: a.meshReady,
  });
  const backupSshKey = target.stdout.apply((out) => {
    const line = out.trim().split("\n").pop() ?? "";
    if (!SSH_PUBLIC_KEY.test(line))
      throw new pulumi.ResourceError(
        `the backup node "${a.node.name}" returned no SSH public key: ${JSON.stringify(out)}`,
        parent,
      );
    return line;
  });
  for (const s of a.servers) {
    hostStep(parent, `${name}-${s.name}-snapshot-source`, {
      host: s,
      run: {
        name: "fortress-k3s-snapshot-source",
        script: combine([a.addresses, key.publicKeyPem, backupSshKey], ([addr, publicKeyPem, sshKey]) =>
          renderSnapshotSourceScript({
            cluster: name,
            snapshotDir: K3S_SNAPSHOT_DIR,
            publicKeyPem,
            backupAddress: addr[a.node.name],
            backupSshKey: sshKey,
          }),
        ),
      },
      onDelete: {
        name: "fortress-k3s-snapshot-teardown",
        script: renderSnapshotTeardownScript(name, "source"),
      },
      after: [a.started[s.name]],
    });
  }
  return { privateKeyPem: key.privateKeyPem };
}
