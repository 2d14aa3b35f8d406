import * as fs from "fs";
import * as path from "path";
import {
  ADMIN_USER,
  AccountHosts,
  BINLOG_DIR,
  CA_FILE,
  CERT_FILE,
  CONFIG_FILE_NAME,
  KEY_FILE,
  MySqlFlavour,
  MySqlRole,
  PASSWORD_MARK,
  REPLICATION_USER,
  ReplicationSource,
  TLS_DIR,
  changeSourceStatement,
  flavourFacts,
  renderServiceDropIn,
} from "../../sdk/mysql";
import { renderTemplate } from "../../sdk/scripts/render";

/** Oracle's APT repository for MySQL on Debian. */
export const MYSQL_APT_URL = "https://repo.mysql.com/apt";
/** Oracle's release signing key (mysql-build@oss.oracle.com), refreshed there when its expiry is extended. */
export const MYSQL_APT_KEY_URL = "https://repo.mysql.com/RPM-GPG-KEY-mysql-2025";
/** The key's fingerprint as the MySQL manual publishes it (key id B7B3B788A8D3785C). */
export const MYSQL_APT_KEY_FINGERPRINT = "BCA43417C3B485DD128EC6D4B7B3B788A8D3785C";
/** How long a replica may take to be replicating before its replication step fails, in seconds. */
export const CONNECT_TIMEOUT_SECONDS = 60;

const HELPERS_MARKER = "# @gtid-mysql-helpers";

/** Fills a template of this folder; `# @gtid-mysql-helpers` becomes mysql-helpers.bash. */
function render(name: string, values: Readonly<Record<string, string | number>>): string {
  const helpers = fs.readFileSync(path.join(__dirname, "mysql-helpers.bash"), "utf8").trimEnd();
  const template = fs.readFileSync(path.join(__dirname, name), "utf8").replace(HELPERS_MARKER, helpers);
  return renderTemplate(template, values);
}

export function renderInstallScript(flavour: MySqlFlavour): string {
  return render("install.sh", {
    FLAVOUR: flavour,
    SERVICE: flavourFacts(flavour).service,
    MYSQL_APT_URL,
    MYSQL_APT_KEY_URL,
    MYSQL_APT_KEY_FINGERPRINT,
  });
}

/** The plain values one node's configure step writes. */
export interface ConfigureInput {
  readonly flavour: MySqlFlavour;
  readonly role: MySqlRole;
  readonly serverId: number;
  readonly bindAddress: string;
  readonly port: number;
  /** The rendered option file (renderMyCnf). */
  readonly myCnf: string;
  readonly caPem: string;
  readonly certPem: string;
  /** The mesh interface the server waits for at boot. */
  readonly meshInterface: string;
}

/** The path of the option file the component owns for a flavour. */
export function configFilePath(flavour: MySqlFlavour): string {
  return `${flavourFacts(flavour).configDir}/${CONFIG_FILE_NAME}`;
}

/** The path of the drop-in that orders the server's unit after the mesh. */
export function dropInPath(flavour: MySqlFlavour): string {
  return `/etc/systemd/system/${flavourFacts(flavour).service}.service.d/60-fortress.conf`;
}

export function renderConfigureScript(c: ConfigureInput): string {
  const facts = flavourFacts(c.flavour);
  return render("configure.sh", {
    FLAVOUR: c.flavour,
    SERVICE: facts.service,
    CLIENT: facts.client,
    CONFIG_DIR: facts.configDir,
    CONFIG_FILE: configFilePath(c.flavour),
    MY_CNF: c.myCnf,
    DROP_IN_FILE: dropInPath(c.flavour),
    DROP_IN: renderServiceDropIn(c.meshInterface),
    BINLOG_DIR,
    TLS_DIR,
    CA_FILE,
    CERT_FILE,
    KEY_FILE,
    CA_PEM: c.caPem,
    CERT_PEM: c.certPem,
    // server_id port bind_address log_bin read_only, as the running server reports them.
    EXPECTED: [c.serverId, c.port, c.bindAddress, 1, c.role === "replica" ? 1 : 0].join(" "),
  });
}

/** The plain values one node's replication step uses. */
export interface ReplicationInput {
  readonly flavour: MySqlFlavour;
  readonly role: MySqlRole;
  /** The primary, for a replica. */
  readonly source?: ReplicationSource;
  /** Where each account may log in from (accountHosts); the primary binds them there. */
  readonly accountHosts?: AccountHosts;
}

export function renderReplicationScript(r: ReplicationInput): string {
  return render("replication.sh", {
    FLAVOUR: r.flavour,
    ROLE: r.role,
    CLIENT: flavourFacts(r.flavour).client,
    ADMIN_USER,
    REPLICATION_USER,
    CHANGE_SOURCE: r.source ? changeSourceStatement(r.flavour, r.source) : "",
    PASSWORD_MARK,
    SOURCE_HOST: r.source?.host ?? "",
    CONNECT_TIMEOUT: CONNECT_TIMEOUT_SECONDS,
    ADMIN_HOSTS: (r.accountHosts?.admin ?? []).join(" "),
    REPLICATION_HOSTS: (r.accountHosts?.replication ?? []).join(" "),
  });
}

export function renderTeardownScript(flavour: MySqlFlavour, role: MySqlRole): string {
  const facts = flavourFacts(flavour);
  return render("teardown.sh", {
    FLAVOUR: flavour,
    ROLE: role,
    SERVICE: facts.service,
    CLIENT: facts.client,
    CONFIG_DIR: facts.configDir,
    CONFIG_FILE: configFilePath(flavour),
    DROP_IN_FILE: dropInPath(flavour),
    TLS_DIR,
  });
}
