import * as net from "net";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { FortressInputError, InputProblems } from "../../sdk/errors";
import {
  ADMIN_USER,
  BACKUP_USER,
  MySqlFlavour,
  MySqlRole,
  REPLICATION_USER,
  accountHosts,
  checkBindAddress,
  checkFlavour,
  mySqlConfig,
  mySqlMeshPorts,
  planServerIds,
  renderMyCnf,
} from "../../sdk/mysql";
import {
  DataClass,
  Deployment,
  ResidencyArgs,
  Violation,
  defaultResidencyPolicy,
  enforceResidency,
  gtidMySqlNames,
  gtidMySqlResidency,
  isPersonalData,
  parseDataClass,
} from "../../sdk/residency";
import {
  Zone,
  checkMeshSources,
  meshAllowsOn,
  meshDropInPath,
  renderMeshDropIn,
  zoneOf,
} from "../../sdk/zones";
import { checkPort, checkComponentName, checkKeys, expect } from "../../sdk/validate";
import { MeshContract, checkMeshContract, endpointOf } from "../../sdk/wireguard";
import { HostArgs, checkHostArgs } from "../host/hostArgs";
import { hostStep, meshFirewallStep } from "../host/hostStep";
import {
  renderConfigureScript,
  renderBackupTargetScript,
  renderBackupTeardownScript,
  renderDemoteScript,
  renderInstallScript,
  renderPromoteScript,
  renderReplicationScript,
  renderTeardownScript,
  reportedGtids,
} from "./scripts";

export { MySqlFlavour } from "../../sdk/mysql";

/** Scheduled backups of the primary to a node of their own (`GtidMySqlArgs.backup`). */
export interface GtidMySqlBackupArgs {
  /**
   * The backup node (`KvmNode.host()`), on the mesh: it dumps the primary over the mesh with a
   * read-only account and keeps the backups, sealed with a key it cannot open. The residency rules
   * check it as a store of the database's data. Not the primary.
   */
  readonly node: HostArgs;
  /** When backups run, as systemd's OnCalendar (`daily`, `*-*-* 02:30:00`). Default `*-*-* 02:30:00`. */
  readonly onCalendar?: string;
  /** How many backups the backup node keeps (the newest). Default 14. */
  readonly keep?: number;
}

export interface GtidMySqlArgs {
  /** The node that takes the writes (`KvmNode.host()`). Changing it re-points every replica. */
  readonly primary: HostArgs;
  /** Read-only replicas, kept in step by GTID auto-positioning. Adding one changes no other node. */
  readonly replicas?: HostArgs[];
  /** Mesh address of every node (`WireGuardMesh.addresses`): each server listens there and nowhere else. */
  readonly addresses: pulumi.Input<{ [node: string]: pulumi.Input<string> }>;
  /**
   * The steps that bring the mesh up (`mesh.appliedOn(node)` for each node): the database steps
   * run after them. Not needed when each host's `ready` already is its mesh step.
   */
  readonly meshReady?: remote.Command[];
  /** The mesh the servers replicate over (`WireGuardMesh.contract`): at boot each server starts after its interface is up. Default: the default mesh (`wg0`). */
  readonly mesh?: MeshContract;
  /**
   * `mysql84` (default: MySQL 8.4 LTS), `mysql80` (MySQL 8.0, end of life April 2026) or `mariadb`.
   * Changing it on live hosts is not supported (an upgrade 8.0 -> 8.4 is a package upgrade, README).
   */
  readonly flavour?: MySqlFlavour;
  /** TCP port on the mesh address. Default 3306. Changing it restarts every server. */
  readonly port?: number;
  /** What the database holds, for the residency rules. Default `personal`. */
  readonly dataClass?: DataClass;
  /** The residency policy the primary, the replicas and the replication flows are checked against. */
  readonly residency?: ResidencyArgs;
  /** server_id pinned per node name; the others get a stable id from a hash of their name. */
  readonly serverIds?: { [node: string]: number };
  /** Scheduled, encrypted backups of the primary to a backup node. Default none. */
  readonly backup?: GtidMySqlBackupArgs;
  /**
   * Days of binary logs each server keeps. Default 7. A replica away for longer, or added after
   * that, must be seeded from a backup first.
   */
  readonly binlogRetentionDays?: number;
  /**
   * Mesh addresses the admin account may also log in from, and that may reach the database port
   * (e.g. an operator's Fortress host outside the database). Default none: the admin account logs
   * in only from the primary's own host and the members in the Fortress zone. IP addresses only;
   * never `%`, never a Fleet member's address. Changing it rewrites the accounts and the firewall.
   */
  readonly adminHosts?: string[];
}

const NODE_NAME = /^[a-z][a-z0-9-]{0,39}$/;
const CA_VALIDITY_HOURS = 10 * 365 * 24;
const CERT_VALIDITY_HOURS = 2 * 365 * 24;
const CERT_EARLY_RENEWAL_HOURS = 30 * 24;

/** Every setting of GtidMySqlArgs: anything else is a typo to name. */
export const GTID_MYSQL_KEYS = [
  "primary",
  "replicas",
  "addresses",
  "meshReady",
  "mesh",
  "flavour",
  "port",
  "dataClass",
  "residency",
  "serverIds",
  "binlogRetentionDays",
  "adminHosts",
  "backup",
];

/**
 * A MySQL primary and its replicas on the mesh: GTID replication that loses nothing (row binary
 * logs synced on every commit, auto-positioning, TLS verified against a CA of its own), replicas
 * read-only, passwords made here and never on a command line. MySQL 8.0 or MariaDB.
 */
export class GtidMySql extends pulumi.ComponentResource {
  /** `meshAddress:port` of the primary: where writes go. */
  public readonly primaryEndpoint: pulumi.Output<string>;
  /** `meshAddress:port` of each replica, by node name. */
  public readonly replicaEndpoints: pulumi.Output<{ [node: string]: string }>;
  /** The CA certificate (PEM) every server certificate is signed with: clients verify against it. */
  public readonly caCertificate: pulumi.Output<string>;
  /** The account for applications and operators: all privileges, read-only on replicas. */
  public readonly adminUser: pulumi.Output<string>;
  /** Its password (secret). */
  public readonly adminPassword: pulumi.Output<string>;
  /** The account replicas connect with (replication only, TLS required). */
  public readonly replicationUser: pulumi.Output<string>;
  /** Its password (secret). */
  public readonly replicationPassword: pulumi.Output<string>;
  /** server_id of each node, by node name. */
  public readonly serverIds: pulumi.Output<{ [node: string]: number }>;
  /** The flavour the servers run. */
  public readonly flavour: pulumi.Output<MySqlFlavour>;
  /** The account the backup node dumps with (read-only); empty when backups are off. */
  public readonly backupUser: pulumi.Output<string>;
  /** The private key (PEM, secret) that opens the backups, what a restore needs; empty when backups are off. */
  public readonly backupPrivateKey: pulumi.Output<string>;
  private readonly last: Record<string, remote.Command> = {};

  constructor(name: string, args: GtidMySqlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fortress:index:GtidMySql", name, args, opts);

    const {
      primary,
      replicas,
      all,
      flavour,
      port,
      meshInterface,
      retentionDays,
      dataClass,
      serverIds,
      residency,
      adminHosts,
      backup,
    } = resolveArgs(name, args);
    const nodes = residency.nodes;
    const backupNode = backup?.node.name;
    // Where the primary, each replica and the backups keep the data is checked before any host is touched.
    this.warnAbout(
      enforceResidency(
        residency,
        args.residency,
        (v) =>
          v.subject === name
            ? "primary"
            : v.subject === gtidMySqlNames.backupStore(name) ||
                (backupNode !== undefined && v.subject === gtidMySqlNames.backupFlow(name, backupNode))
              ? "backup.node"
              : "replicas",
        `GtidMySql "${name}"`,
      ),
    );

    // Secrets: made here, kept secret, and sent to the hosts on standard input only.
    const adminPassword = pulumi.secret(
      new random.RandomPassword(`${name}-admin-password`, { length: 32, special: false }, { parent: this })
        .result,
    );
    const replicationPassword = pulumi.secret(
      new random.RandomPassword(
        `${name}-replication-password`,
        { length: 32, special: false },
        { parent: this },
      ).result,
    );
    const backupPassword = backup
      ? pulumi.secret(
          new random.RandomPassword(
            `${name}-backup-password`,
            { length: 32, special: false },
            { parent: this },
          ).result,
        )
      : undefined;
    // Backups are sealed with its public half on the backup node; the private half is a secret output.
    const backupKey = backup
      ? new tls.PrivateKey(`${name}-backup-key`, { algorithm: "RSA", rsaBits: 3072 }, { parent: this })
      : undefined;
    const caKey = new tls.PrivateKey(
      `${name}-ca-key`,
      { algorithm: "ECDSA", ecdsaCurve: "P256" },
      { parent: this },
    );
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        isCaCertificate: true,
        allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        validityPeriodHours: CA_VALIDITY_HOURS,
        subject: { commonName: `${name} MySQL CA`, organization: "Fortress" },
      },
      { parent: this },
    );

    const addresses = pulumi.output(args.addresses);
    const addressOf = (node: string): pulumi.Output<string> =>
      addresses.apply((a) => {
        const address = a[node];
        const late = new InputProblems();
        checkAddress(late, address, node);
        try {
          late.throwIfAny(`GtidMySql "${name}"`);
        } catch (err) {
          throw new pulumi.ResourceError((err as Error).message, this);
        }
        return address;
      });
    const primaryAddress = addressOf(primary.name);

    // Zones from the residency model: the admin account and the database port are for the
    // members in the Fortress (and the primary's own host); a Fleet host never gets them.
    const policy = {
      ...defaultResidencyPolicy(),
      ...(args.residency?.allowedCountries ? { allowedCountries: args.residency.allowedCountries } : {}),
    };
    const zones = new Map(nodes.map((n) => [n.name, zoneOf(n, policy)]));
    const members = all.map(({ h }) => h.name);
    // The backup node dumps the primary over the mesh: a source of the database port, not a member.
    const sources = [...new Set([...members, ...(backupNode ? [backupNode] : [])])];
    const declarations = mySqlMeshPorts(
      `GtidMySql "${name}"`,
      members,
      port,
      adminHosts,
      isPersonalData(dataClass),
      sources,
    );
    const memberAddresses = pulumi.all(Object.fromEntries(sources.map((m) => [m, addressOf(m)])));
    const checkedAddresses = memberAddresses.apply((a) => {
      const problems = checkMeshSources(
        adminHosts,
        sources.map((m) => ({ name: m, zone: zones.get(m) ?? Zone.Fleet, address: a[m] })),
      );
      if (problems.length > 0) {
        throw new pulumi.ResourceError(`GtidMySql "${name}": adminHosts: ${problems.join("; ")}`, this);
      }
      return a;
    });
    const hostsOfAccounts = checkedAddresses.apply((a) =>
      accountHosts(
        a,
        primary.name,
        replicas.map((r) => r.name),
        members.filter((m) => zones.get(m) === Zone.Fortress),
        adminHosts,
        backupNode,
      ),
    );

    // Installed everywhere first; then every replica refuses writes (the primary until now among
    // them, in a switchover) and reports what it wrote, before the primary takes over.
    const installs: Record<string, remote.Command> = {};
    const demoted: pulumi.Output<{ address: string; gtids: string }>[] = [];
    for (const { h, role } of all) {
      const install = hostStep(this, `${name}-${h.name}-install`, {
        host: h,
        run: { name: "fortress-mysql-install", script: renderInstallScript(flavour) },
      });
      installs[h.name] = install;
      if (role !== "replica") continue;
      const demote = hostStep(this, `${name}-${h.name}-demote`, {
        host: h,
        run: { name: "fortress-mysql-demote", script: renderDemoteScript(flavour) },
        after: [install, ...(args.meshReady ?? [])],
      });
      demoted.push(
        pulumi.all([addressOf(h.name), demote.stdout]).apply(([address, out]) => {
          const gtids = reportedGtids(out);
          if (gtids === undefined) {
            throw new pulumi.ResourceError(
              `node "${h.name}" reported no GTIDs: ${JSON.stringify(out)}`,
              this,
            );
          }
          return { address, gtids };
        }),
      );
    }

    let previousConfig: remote.Command | undefined;
    let primaryAccounts: remote.Command | undefined;
    for (const { h, role } of all) {
      const node = h.name;
      const address = node === primary.name ? primaryAddress : addressOf(node);
      const install = installs[node];

      const key = new tls.PrivateKey(
        `${name}-${node}-tls-key`,
        { algorithm: "ECDSA", ecdsaCurve: "P256" },
        { parent: this },
      );
      const csr = new tls.CertRequest(
        `${name}-${node}-csr`,
        {
          privateKeyPem: key.privateKeyPem,
          subject: { commonName: node, organization: "Fortress" },
          // Replicas verify the primary's certificate against the address they dial: the mesh address.
          ipAddresses: [address],
          dnsNames: [node],
        },
        { parent: this },
      );
      const cert = new tls.LocallySignedCert(
        `${name}-${node}-cert`,
        {
          certRequestPem: csr.certRequestPem,
          caPrivateKeyPem: caKey.privateKeyPem,
          caCertPem: ca.certPem,
          allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
          validityPeriodHours: CERT_VALIDITY_HOURS,
          earlyRenewalHours: CERT_EARLY_RENEWAL_HOURS,
        },
        { parent: this },
      );

      const myCnf = address.apply((bindAddress) =>
        renderMyCnf(
          mySqlConfig({
            flavour,
            role,
            serverId: serverIds[node],
            bindAddress,
            port,
            binlogRetentionDays: retentionDays,
          }),
        ),
      );
      // The primary takes over first if it replicated until now (a switchover): the old primary
      // becomes read-only, this one catches up and takes writes, before any configuration changes.
      const promote =
        role === "primary"
          ? hostStep(this, `${name}-${node}-promote`, {
              host: h,
              run: {
                name: "fortress-mysql-promote",
                script: pulumi.all(demoted).apply((d) => renderPromoteScript({ flavour, demoted: d })),
              },
              after: [install, ...(args.meshReady ?? [])],
            })
          : undefined;
      // One node at a time, the primary first: a restart never takes two servers down at once.
      const config = hostStep(this, `${name}-${node}-config`, {
        host: h,
        run: {
          name: "fortress-mysql-configure",
          script: pulumi.all([myCnf, address, ca.certPem, cert.certPem]).apply(([c, a, caPem, certPem]) =>
            renderConfigureScript({
              flavour,
              role,
              serverId: serverIds[node],
              bindAddress: a,
              port,
              myCnf: c,
              caPem,
              certPem,
              meshInterface,
            }),
          ),
        },
        onDelete: { name: "fortress-mysql-teardown", script: renderTeardownScript(flavour, role) },
        // The server's TLS key reaches the host on standard input only.
        stdin: pulumi.secret(key.privateKeyPem),
        after: [
          install,
          ...(args.meshReady ?? []),
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
        this,
        name,
        h,
        meshDropInPath("mysql", name),
        checkedAddresses.apply((a) => renderMeshDropIn(name, meshAllowsOn(node, declarations, zones), a)),
        [config],
      );

      const source = role === "replica" ? primaryAddress.apply((host) => ({ host, port })) : undefined;
      const replication = hostStep(
        this,
        role === "primary" ? `${name}-${node}-accounts` : `${name}-${node}-replication`,
        {
          host: h,
          run: {
            name: "fortress-mysql-replication",
            script: pulumi.all([source, hostsOfAccounts]).apply(([s, hosts]) =>
              renderReplicationScript({
                flavour,
                role,
                source: s,
                accountHosts: hosts,
                backupAccount: backup !== undefined,
              }),
            ),
          },
          // The primary gets both passwords; a replica only the one it replicates with.
          stdin:
            role === "primary"
              ? pulumi.secret(
                  pulumi.interpolate`${adminPassword}\n${replicationPassword}\n${backupPassword ?? ""}${backupPassword ? "\n" : ""}`,
                )
              : pulumi.secret(pulumi.interpolate`${replicationPassword}\n`),
          after: [config, firewall, ...(role === "replica" && primaryAccounts ? [primaryAccounts] : [])],
          secretOutput: true,
        },
      );
      if (role === "primary") primaryAccounts = replication;
      this.last[node] = replication;
    }

    if (backup && backupKey && backupPassword && primaryAccounts) {
      const h = backup.node;
      hostStep(this, `${name}-backup`, {
        host: h,
        run: {
          name: "fortress-mysql-backup-target",
          script: pulumi
            .all([primaryAddress, ca.certPem, backupKey.publicKeyPem])
            .apply(([p, caPem, publicKeyPem]) =>
              renderBackupTargetScript({
                flavour,
                database: name,
                primary: p,
                port,
                caPem,
                publicKeyPem,
                onCalendar: backup.onCalendar,
                keep: backup.keep,
              }),
            ),
        },
        onDelete: { name: "fortress-mysql-backup-teardown", script: renderBackupTeardownScript(name) },
        stdin: pulumi.secret(pulumi.interpolate`${backupPassword}\n`),
        after: [primaryAccounts, ...(args.meshReady ?? [])],
        secretOutput: true,
      });
    }

    this.primaryEndpoint = primaryAddress.apply((a) => endpointOf(a, port));
    this.replicaEndpoints = pulumi.all(
      Object.fromEntries(replicas.map((r) => [r.name, addressOf(r.name).apply((a) => endpointOf(a, port))])),
    );
    this.caCertificate = ca.certPem;
    this.adminUser = pulumi.output(ADMIN_USER);
    this.adminPassword = adminPassword;
    this.replicationUser = pulumi.output(REPLICATION_USER);
    this.replicationPassword = replicationPassword;
    this.serverIds = pulumi.output(serverIds);
    this.flavour = pulumi.output(flavour);
    this.backupUser = pulumi.output(backup ? BACKUP_USER : "");
    this.backupPrivateKey = pulumi.secret(backupKey ? backupKey.privateKeyPem : pulumi.output(""));
    this.registerOutputs({
      backupUser: this.backupUser,
      backupPrivateKey: this.backupPrivateKey,
      primaryEndpoint: this.primaryEndpoint,
      replicaEndpoints: this.replicaEndpoints,
      caCertificate: this.caCertificate,
      adminUser: this.adminUser,
      adminPassword: this.adminPassword,
      replicationUser: this.replicationUser,
      replicationPassword: this.replicationPassword,
      serverIds: this.serverIds,
      flavour: this.flavour,
      // For the policy pack: under the real engine a stack policy sees a component's outputs only.
      residency,
    });
  }

  /** The last database step on `node` (its accounts or its replication): depend on it to use the database. */
  readyOn(node: string): remote.Command {
    const c = this.last[node];
    if (!c) throw new Error(`"${node}" is not a node of this database`);
    return c;
  }

  private warnAbout(advisories: readonly Violation[]): void {
    for (const v of advisories) {
      void pulumi.log.warn(`residency rule ${v.ruleId} (advisory): ${v.message} ${v.remediation}`, this);
    }
  }
}

interface NodeEntry {
  readonly h: HostArgs;
  readonly path: string;
  readonly role: MySqlRole;
}

/** The args checked and completed with their defaults; every problem at once, as a FortressInputError. */
function resolveArgs(name: string, args: GtidMySqlArgs) {
  const problems = new InputProblems();
  checkComponentName(problems, name, "GtidMySql");
  if (!checkKeys(problems, args, GTID_MYSQL_KEYS, "", "GtidMySql")) args = {} as GtidMySqlArgs;
  const primary =
    args.primary === undefined || checkHostArgs(problems, args.primary, "primary") ? args.primary : undefined;
  const replicas = expect.list(problems, args.replicas, "replicas", "hosts (`node.host()` of each KvmNode)")
    ? args.replicas.filter((h, i) => checkHostArgs(problems, h, `replicas[${i}]`))
    : [];
  problems.check(
    primary !== undefined && primary !== null,
    "primary",
    "is required: the node that takes the writes (`KvmNode.host()`)",
  );
  const all: NodeEntry[] = [
    ...(primary ? [{ h: primary, path: "primary", role: "primary" as const }] : []),
    ...replicas.map((h, i) => ({ h, path: `replicas[${i}]`, role: "replica" as const })),
  ];
  const seen = new Set<string>();
  for (const { h, path } of all) {
    if (
      !problems.check(
        NODE_NAME.test(h.name ?? ""),
        `${path}.name`,
        `${JSON.stringify(h.name)} is not a node name; use lower-case letters, digits and "-", starting with a letter`,
      )
    )
      continue;
    if (path !== "primary" && h.name === primary?.name) {
      problems.add(
        `${path}.name`,
        `"${h.name}" is the primary; a node is the primary or a replica, not both`,
      );
      continue;
    }
    problems.check(!seen.has(h.name), `${path}.name`, `"${h.name}" is a replica twice; list it once`);
    seen.add(h.name);
  }
  const flavour = args.flavour ?? MySqlFlavour.Mysql84;
  checkFlavour(problems, flavour, "flavour");
  const port = args.port ?? 3306;
  checkPort(problems, port, "port");
  const meshInterface = checkMeshContract(problems, args.mesh, "mesh").interfaceName;
  const retentionDays = args.binlogRetentionDays ?? 7;
  problems.check(
    Number.isInteger(retentionDays) && retentionDays >= 1 && retentionDays <= 365,
    "binlogRetentionDays",
    `${String(retentionDays)} is out of range; use 1 to 365 days`,
  );
  let dataClass = DataClass.Personal;
  try {
    dataClass = parseDataClass(args.dataClass ?? DataClass.Personal, "dataClass");
  } catch (e) {
    if (!(e instanceof FortressInputError)) throw e;
    problems.add(e.propertyPath, e.reason);
  }
  let backup: { node: HostArgs; onCalendar: string; keep: number } | undefined;
  if (args.backup) {
    const node = args.backup.node;
    if (
      problems.check(
        NODE_NAME.test(node?.name ?? ""),
        "backup.node.name",
        `${JSON.stringify(node?.name)} is not a node name; use lower-case letters, digits and "-", starting with a letter`,
      )
    ) {
      problems.check(
        node.name !== primary?.name,
        "backup.node",
        `"${node.name}" is the primary; backups belong on another node (a replica or a node of their own)`,
      );
    }
    const onCalendar = args.backup.onCalendar ?? "*-*-* 02:30:00";
    problems.check(
      /^[A-Za-z0-9*:,./~ -]{1,64}$/.test(onCalendar),
      "backup.onCalendar",
      `${JSON.stringify(onCalendar)} is not a systemd calendar expression; use e.g. "daily" or "*-*-* 02:30:00"`,
    );
    const keep = args.backup.keep ?? 14;
    problems.check(
      Number.isInteger(keep) && keep >= 1 && keep <= 365,
      "backup.keep",
      `${String(keep)} is out of range; keep 1 to 365 backups`,
    );
    backup = { node, onCalendar, keep };
  }
  const names = all.map(({ h }) => h.name);
  const serverIds =
    problems.list.length === 0
      ? planServerIds(names, args.serverIds ?? {}, problems, (n) => `serverIds["${n}"]`)
      : {};
  // Addresses given as plain values are checked now; those that come from the mesh, once known.
  if (args.addresses !== undefined && !pulumi.Output.isInstance(args.addresses)) {
    const plain = args.addresses as Record<string, pulumi.Input<string>>;
    for (const { h } of all) if (NODE_NAME.test(h.name ?? "")) checkAddress(problems, plain[h.name], h.name);
  }
  const residency: Deployment = primary
    ? gtidMySqlResidency(problems, name, primary, replicas, dataClass, backup?.node)
    : { nodes: [] };
  const adminHosts = args.adminHosts ?? [];
  adminHosts.forEach((a, i) =>
    problems.check(
      typeof a === "string" && net.isIPv4(a),
      `adminHosts[${i}]`,
      `${JSON.stringify(a)} is not an IPv4 address; give a host's mesh address (an account is never bound to "%" or a pattern)`,
    ),
  );
  problems.throwIfAny(`GtidMySql "${name}"`);
  // After throwIfAny the primary is there: its absence is a problem.
  return {
    primary: primary!,
    replicas,
    all,
    flavour,
    port,
    meshInterface,
    retentionDays,
    dataClass,
    serverIds,
    residency,
    adminHosts: [...new Set(adminHosts)].sort(),
    backup,
  };
}

/** A node's mesh address: present, and an IP address the server can bind. Strings only; outputs are checked once known. */
function checkAddress(
  problems: InputProblems,
  address: pulumi.Input<string> | undefined,
  node: string,
): void {
  const path = `addresses["${node}"]`;
  if (!problems.check(address !== undefined, path, `is missing: give the mesh address of node "${node}"`))
    return;
  if (typeof address === "string") checkBindAddress(problems, address, path);
}
