// The host steps of a GtidMySql, node by node: installs, then every replica refuses writes and
// reports its GTIDs, the primary takes over (switchover or failover), each server gets its
// configuration one at a time, its firewall drop-in, then the accounts on the primary and
// replication on each replica; and the backup node's step. The class in gtidMySql.ts resolves the
// args and makes the secrets; this makes the steps from them.
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { AccountHosts, mySqlConfig, renderMyCnf } from "../../sdk/mysql";
import { combine, combineOutput, whenKnown } from "../../sdk/outputs";
import { ResolvedMySqlArgs } from "../../sdk/mysqlArgs";
import { meshDropInPath } from "../../sdk/zones";
import { HostArgs } from "../host/hostArgs";
import { hostStep, meshFirewallStep } from "../host/hostStep";
import {
  DemotedNode,
  renderBackupTargetScript,
  renderBackupTeardownScript,
  renderConfigureScript,
  renderDemoteScript,
  renderFencedScript,
  renderInstallScript,
  renderPromoteScript,
  renderReplicationScript,
  renderTeardownScript,
  reportedGtids,
} from "./scripts";

const CERT_VALIDITY_HOURS = 2 * 365 * 24;
const CERT_EARLY_RENEWAL_HOURS = 30 * 24;

/** What the steps are made from: the resolved args and what the class made. */
export interface StepInputs {
  readonly parent: pulumi.Resource;
  readonly name: string;
  readonly spec: ResolvedMySqlArgs<HostArgs>;
  /** The mesh's steps: the database's steps run after them. */
  readonly meshReady: readonly remote.Command[];
  /** A node's mesh address, checked once known. */
  readonly addressOf: (node: string) => pulumi.Output<string>;
  readonly caKeyPem: pulumi.Output<string>;
  readonly caCertPem: pulumi.Output<string>;
  readonly accountHosts: pulumi.Output<AccountHosts>;
  /** The node's mesh firewall drop-in for the database port. */
  readonly firewallDropIn: (node: string) => pulumi.Output<string>;
  readonly adminPassword: pulumi.Output<string>;
  readonly replicationPassword: pulumi.Output<string>;
  readonly backupPassword?: pulumi.Output<string>;
}

/** Makes every node's steps; returns the last one of each node (its accounts or its replication). */
export function databaseSteps(s: StepInputs): Record<string, remote.Command> {
  const { parent, name, spec } = s;
  const { primary, flavour, port, failedOver } = spec;
  const last: Record<string, remote.Command> = {};
  const live = spec.all.filter(({ h }) => h.name !== failedOver);
  if (failedOver) last[failedOver] = frozenSteps(s, spec.all.find(({ h }) => h.name === failedOver)!.h);

  // Installed everywhere first; then every replica refuses writes (the primary until now among
  // them, in a switchover) and reports what it wrote, before the primary takes over. A change of
  // primary asks every replica afresh.
  const installs: Record<string, remote.Command> = {};
  const demoted: pulumi.Output<DemotedNode>[] = [];
  for (const { h, role } of live) {
    const install = hostStep(parent, `${name}-${h.name}-install`, {
      host: h,
      run: { name: "fortress-mysql-install", script: renderInstallScript(flavour) },
    });
    installs[h.name] = install;
    if (role !== "replica") continue;
    const demote = hostStep(parent, `${name}-${h.name}-demote`, {
      host: h,
      run: { name: "fortress-mysql-demote", script: renderDemoteScript(flavour) },
      triggers: [primary.name, failedOver ?? ""],
      after: [install, ...s.meshReady],
    });
    demoted.push(
      combineOutput([s.addressOf(h.name), demote.stdout], ([address, out]) => {
        const gtids = reportedGtids(out);
        if (gtids === undefined) {
          throw new pulumi.ResourceError(
            `node "${h.name}" reported no GTIDs: ${JSON.stringify(out)}`,
            parent,
          );
        }
        return { name: h.name, address, gtids };
      }),
    );
  }

  const primaryAddress = s.addressOf(primary.name);
  const failed = failedOver
    ? s.addressOf(failedOver).apply((address) => ({ name: failedOver, address }))
    : undefined;
  let previousConfig: remote.Command | undefined;
  let primaryAccounts: remote.Command | undefined;
  for (const { h, role } of live) {
    const node = h.name;
    const address = s.addressOf(node);
    const install = installs[node];
    const { key, cert } = nodeCertificate(s, node, address);
    const myCnf = address.apply((bindAddress) =>
      renderMyCnf(
        mySqlConfig({
          flavour,
          role,
          serverId: spec.serverIds[node],
          bindAddress,
          port,
          binlogRetentionDays: spec.retentionDays,
        }),
      ),
    );
    // The primary takes over first if it replicated until now (a switchover or a failover): the
    // old primary is read-only (or gone), this one catches up and takes writes, before any
    // configuration changes.
    const promote =
      role === "primary"
        ? hostStep(parent, `${name}-${node}-promote`, {
            host: h,
            run: {
              name: "fortress-mysql-promote",
              script: combine([combine(demoted, (d) => d), failed], ([d, f]) =>
                renderPromoteScript({ flavour, demoted: d, ...(f ? { failed: f } : {}) }),
              ),
            },
            after: [install, ...s.meshReady],
          })
        : undefined;
    // One node at a time, the primary first: a restart never takes two servers down at once.
    const config = hostStep(parent, `${name}-${node}-config`, {
      host: h,
      run: {
        name: "fortress-mysql-configure",
        script: combine([myCnf, address, s.caCertPem, cert.certPem], ([c, a, caPem, certPem]) =>
          renderConfigureScript({
            flavour,
            role,
            serverId: spec.serverIds[node],
            bindAddress: a,
            port,
            myCnf: c,
            caPem,
            certPem,
            meshInterface: spec.meshInterface,
            replicas: spec.replicas.length,
          }),
        ),
      },
      onDelete: { name: "fortress-mysql-teardown", script: renderTeardownScript(flavour, role) },
      // The server's TLS key reaches the host on standard input only.
      stdin: pulumi.secret(key.privateKeyPem),
      after: [
        install,
        ...s.meshReady,
        ...(previousConfig ? [previousConfig] : []),
        ...(promote ? [promote] : []),
      ],
      secretOutput: true,
    });
    previousConfig = config;

    // The database port on this node, from the members (and adminHosts) only. After the server
    // runs with its configuration: a port change that fails leaves the firewall as it was, so
    // the replicas reconnect to the server that came back.
    const firewall = meshFirewallStep(
      parent,
      name,
      h,
      meshDropInPath("mysql", name),
      s.firewallDropIn(node),
      [config],
    );

    const source = role === "replica" ? primaryAddress.apply((host) => ({ host, port })) : undefined;
    const step = hostStep(
      parent,
      role === "primary" ? `${name}-${node}-accounts` : `${name}-${node}-replication`,
      {
        host: h,
        run: {
          name: "fortress-mysql-replication",
          script: combine([source, s.accountHosts], ([src, hosts]) =>
            renderReplicationScript({
              flavour,
              role,
              source: src,
              accountHosts: hosts,
              backupAccount: spec.backup !== undefined,
            }),
          ),
        },
        // The primary gets every password; a replica only the one it replicates with.
        stdin:
          role === "primary"
            ? pulumi.secret(
                combineOutput(
                  [s.adminPassword, s.replicationPassword, s.backupPassword],
                  ([admin, replication, backup]) =>
                    `${admin}\n${replication}\n${backup === undefined ? "" : `${backup}\n`}`,
                ),
              )
            : pulumi.secret(whenKnown(s.replicationPassword, (r) => `${r}\n`)),
        after: [config, firewall, ...(role === "replica" && primaryAccounts ? [primaryAccounts] : [])],
        secretOutput: true,
      },
    );
    if (role === "primary") primaryAccounts = step;
    last[node] = step;
  }
  return last;
}

/**
 * The primary that is gone (failover.from): the steps it had as the primary, left as the last
 * deployment made them (frozen), so nothing runs on it until it is back and `failover` removed.
 * Returns its last step.
 */
function frozenSteps(s: StepInputs, h: HostArgs): remote.Command {
  let step: remote.Command | undefined;
  for (const role of ["install", "promote", "config", "firewall", "accounts"]) {
    step = hostStep(s.parent, `${s.name}-${h.name}-${role}`, {
      host: h,
      run: { name: "fortress-mysql-fenced", script: renderFencedScript(h.name) },
      frozen: true,
    });
  }
  return step!;
}

/** A node's server certificate, for its mesh address, signed by the component's CA. */
function nodeCertificate(s: StepInputs, node: string, address: pulumi.Output<string>) {
  const key = new tls.PrivateKey(
    `${s.name}-${node}-tls-key`,
    { algorithm: "ECDSA", ecdsaCurve: "P256" },
    { parent: s.parent },
  );
  const csr = new tls.CertRequest(
    `${s.name}-${node}-csr`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: node, organization: "Fortress" },
      // Replicas verify the primary's certificate against the address they dial: the mesh address.
      ipAddresses: [address],
      dnsNames: [node],
    },
    { parent: s.parent },
  );
  const cert = new tls.LocallySignedCert(
    `${s.name}-${node}-cert`,
    {
      certRequestPem: csr.certRequestPem,
      caPrivateKeyPem: s.caKeyPem,
      caCertPem: s.caCertPem,
      allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
      validityPeriodHours: CERT_VALIDITY_HOURS,
      earlyRenewalHours: CERT_EARLY_RENEWAL_HOURS,
    },
    { parent: s.parent },
  );
  return { key, cert };
}

/** The backup node's step: it dumps the primary over the mesh on a timer, sealed with the key's public half. */
export function backupStep(
  s: StepInputs,
  primaryAccounts: remote.Command,
  publicKeyPem: pulumi.Output<string>,
): remote.Command | undefined {
  const { backup, flavour, port } = s.spec;
  if (!backup || !s.backupPassword) return undefined;
  return hostStep(s.parent, `${s.name}-backup`, {
    host: backup.node,
    run: {
      name: "fortress-mysql-backup-target",
      script: combine([s.addressOf(s.spec.primary.name), s.caCertPem, publicKeyPem], ([p, caPem, pub]) =>
        renderBackupTargetScript({
          flavour,
          database: s.name,
          primary: p,
          port,
          caPem,
          publicKeyPem: pub,
          onCalendar: backup.onCalendar,
          keep: backup.keep,
        }),
      ),
    },
    onDelete: { name: "fortress-mysql-backup-teardown", script: renderBackupTeardownScript(s.name) },
    stdin: pulumi.secret(whenKnown(s.backupPassword, (b) => `${b}\n`)),
    after: [primaryAccounts, ...s.meshReady],
    secretOutput: true,
  });
}
