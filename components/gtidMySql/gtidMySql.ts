import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { InputProblems } from "../../sdk/errors";
import {
  ADMIN_USER,
  BACKUP_USER,
  MySqlFlavour,
  REPLICATION_USER,
  accountHosts,
  mySqlMeshPorts,
} from "../../sdk/mysql";
import { checkMeshAddress, resolveGtidMySqlArgs } from "../../sdk/mysqlArgs";
import {
  DataClass,
  ResidencyArgs,
  Violation,
  defaultResidencyPolicy,
  enforceResidency,
  gtidMySqlNames,
  isPersonalData,
} from "../../sdk/residency";
import { Zone, checkMeshSources, meshAllowsOn, renderMeshDropIn, zoneOf } from "../../sdk/zones";
import { MeshContract, endpointOf } from "../../sdk/wireguard";
import { combineRecord } from "../../sdk/outputs";
import { HostArgs, checkHostArgs, hostForState, hostsForState, meshStepsOn } from "../host/hostArgs";
import { backupStep, databaseSteps } from "./steps";

export { GTID_MYSQL_KEYS } from "../../sdk/mysqlArgs";
export { MySqlFlavour } from "../../sdk/mysql";

const CA_VALIDITY_HOURS = 10 * 365 * 24;
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

/** A failover: the primary is gone, and `primary` names the replica that takes over (`GtidMySqlArgs.failover`). */
export interface GtidMySqlFailoverArgs {
  /**
   * The primary that is gone, by node name. It stays in `replicas`: while it is named here no step
   * runs on it (its steps are left as they were), and it comes back read-only, since no replica
   * follows it. Remove `failover` once it is back: the next deployment rejoins it as a replica, or
   * refuses if it has transactions the new primary lacks (README, Failover).
   */
  readonly from: string;
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
   * run after those on the database's nodes. Not needed when each host's `ready` already is its
   * mesh step.
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
  /**
   * Fail over from a primary that is gone: set `primary` to the most advanced replica and name the
   * old primary here (the promote step refuses a replica that is behind another). Default none.
   */
  readonly failover?: GtidMySqlFailoverArgs;
}

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
  private readonly last: Record<string, remote.Command>;

  constructor(name: string, args: GtidMySqlArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fortress:index:GtidMySql", name, gtidMySqlState(args), opts);

    const spec = resolveGtidMySqlArgs(name, args, checkHostArgs);
    const { primary, replicas, all, flavour, port, dataClass, serverIds, residency, adminHosts, backup } =
      spec;
    const backupNode = backup?.node.name;
    const dbNodes = [...all.map((e) => e.h.name), ...(backupNode ? [backupNode] : [])];
    // Where the primary, each replica and the backups keep the data is checked before any host is
    // touched: a failover to a replica the rules would not allow as primary stops here.
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
    const password = (role: string) =>
      pulumi.secret(
        new random.RandomPassword(
          `${name}-${role}-password`,
          { length: 32, special: false },
          { parent: this },
        ).result,
      );
    const adminPassword = password("admin");
    const replicationPassword = password("replication");
    const backupPassword = backup ? password("backup") : undefined;
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
        checkMeshAddress(late, address, node);
        try {
          late.throwIfAny(`GtidMySql "${name}"`);
        } catch (err) {
          throw new pulumi.ResourceError((err as Error).message, this);
        }
        return address;
      });

    // Zones from the residency model: the admin account and the database port are for the
    // members in the Fortress (and the primary's own host); a Fleet host never gets them.
    const policy = {
      ...defaultResidencyPolicy(),
      ...(args.residency?.allowedCountries ? { allowedCountries: args.residency.allowedCountries } : {}),
    };
    const zones = new Map(residency.nodes.map((n) => [n.name, zoneOf(n, policy)]));
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
    const checkedAddresses = pulumi
      .all(Object.fromEntries(sources.map((m) => [m, addressOf(m)])))
      .apply((a) => {
        const problems = checkMeshSources(
          adminHosts,
          sources.map((m) => ({ name: m, zone: zones.get(m) ?? Zone.Fleet, address: a[m] })),
        );
        if (problems.length > 0) {
          throw new pulumi.ResourceError(`GtidMySql "${name}": adminHosts: ${problems.join("; ")}`, this);
        }
        return a;
      });
    const steps = {
      parent: this,
      name,
      spec,
      meshReady: meshStepsOn(args.meshReady, dbNodes),
      addressOf,
      caKeyPem: caKey.privateKeyPem,
      caCertPem: ca.certPem,
      accountHosts: checkedAddresses.apply((a) =>
        accountHosts(
          a,
          primary.name,
          replicas.map((r) => r.name),
          members.filter((m) => zones.get(m) === Zone.Fortress),
          adminHosts,
          backupNode,
        ),
      ),
      firewallDropIn: (node: string) =>
        checkedAddresses.apply((a) => renderMeshDropIn(name, meshAllowsOn(node, declarations, zones), a)),
      adminPassword,
      replicationPassword,
      ...(backupPassword ? { backupPassword } : {}),
    };
    this.last = databaseSteps(steps);
    if (backupKey) backupStep(steps, this.last[primary.name], backupKey.publicKeyPem);

    this.primaryEndpoint = addressOf(primary.name).apply((a) => endpointOf(a, port));
    this.replicaEndpoints = combineRecord(
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

/** The args as the component's inputs in state: hosts as `hostForState` records them, no steps. */
function gtidMySqlState(args: GtidMySqlArgs): GtidMySqlArgs {
  if (typeof args !== "object" || args === null) return args;
  return {
    ...args,
    ...(args.primary !== undefined ? { primary: hostForState(args.primary) } : {}),
    ...(args.replicas !== undefined ? { replicas: hostsForState(args.replicas) } : {}),
    ...(args.backup?.node !== undefined
      ? { backup: { ...args.backup, node: hostForState(args.backup.node) } }
      : {}),
    meshReady: undefined,
  };
}
