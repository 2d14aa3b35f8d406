import * as pulumi from "@pulumi/pulumi";
import {
  ArgoBootstrap,
  ArgoBootstrapArgs,
  DEFAULT_INSTANCE_TYPE,
  GtidMySql,
  MySqlFlavour,
  HostArgs,
  K3sCluster,
  KvmNode,
  KvmNodeArgs,
  OpenFaasPlatform,
  OpenFaasPlatformArgs,
  WireGuardMesh,
  amiArchitecture,
  checkKvmNodeArgs,
  debianAmi,
} from "../components";
import { underConfigKey } from "../sdk/config";
import { residencyReport } from "../sdk/report";
import { Deployment, ResidencyArgs } from "../sdk/residency";
import { STACK_NAMES, readStackConfig } from "../sdk/stackConfig";
import { isPlainObject } from "../sdk/validate";

/**
 * The Fortress program: every stack is this code plus its `Pulumi.<stack>.yaml`, so a new
 * environment is a new config file. The whole config is read and the residency facts of everything
 * the stack builds are judged first (sdk/stackConfig.ts), so a bad input or a violation stops the
 * program before it registers any resource. Then the layers: nodes, the mesh over them, then what
 * runs on the mesh (k3s, the database, the platform). Every error names its config key.
 */
export function fortressProgram(config: pulumi.Config = new pulumi.Config("fortress")) {
  const spec = readStackConfig(
    (key) => config.get(key.replace(/^fortress:/, "")),
    Object.keys(pulumi.runtime.allConfig()),
  );
  for (const v of spec.advisories) {
    void pulumi.log.warn(`residency rule ${v.ruleId} (advisory): ${v.message} ${v.remediation}`);
  }
  const sshPrivateKey = config.requireSecret("sshPrivateKey");
  const { residency } = spec;
  const names = spec.nodes.map((n) => n.name);
  // One image lookup per region and architecture, not one per EC2 node: a Fleet of a hundred
  // agents would otherwise ask AWS a hundred times for the same image.
  const images = new Map<string, pulumi.Output<string>>();
  const imageFor = (region: string, instanceType: string) => {
    const key = `${region} ${amiArchitecture(instanceType)}`;
    if (!images.has(key)) images.set(key, debianAmi(region, instanceType));
    return images.get(key)!;
  };
  const nodes = Object.fromEntries(
    spec.nodes.map((node, i) => [
      node.name,
      underConfigKey(`fortress:nodes[${i}]`, () => {
        const args = node.args as unknown as KvmNodeArgs;
        // Existing servers share the stack's SSH key, so it never sits in plain config.
        const existing = isPlainObject(args.existing)
          ? { ...args.existing, privateKey: sshPrivateKey }
          : args.existing;
        // Checked before the image is looked up, so bad input fails with its own message first.
        const { placement } = checkKvmNodeArgs(node.name, { ...args, existing });
        const ec2 = args.ec2;
        const type = ec2?.instanceType ?? DEFAULT_INSTANCE_TYPE;
        const shared =
          ec2 && ec2.ami === undefined && typeof type === "string" && placement.region
            ? { ec2: { ...ec2, ami: imageFor(placement.region, type) } }
            : {};
        return new KvmNode(node.name, { ...args, existing, ...shared });
      }),
    ]),
  );

  const mesh = underConfigKey(
    "fortress:mesh",
    () => new WireGuardMesh(STACK_NAMES.mesh, { ...spec.mesh, nodes: names.map((n) => nodes[n].host()) }),
  );
  // The layers above the mesh take each host as prepared, so what needs no mesh (a package or
  // binary install) runs meanwhile, and the mesh steps of their nodes as `meshReady`.
  const host = (name: string): HostArgs => nodes[name].host();
  const meshOf = (names: string[]) => [...new Set(names)].map((n) => mesh.appliedOn(n));

  const k3s = spec.k3s;
  const cluster =
    k3s &&
    underConfigKey(
      "fortress:k3s",
      () =>
        new K3sCluster(STACK_NAMES.cluster, {
          servers: k3s.servers.map(host),
          agents: k3s.agents.map(host),
          addresses: mesh.addresses,
          mesh: mesh.contract,
          meshReady: meshOf([...k3s.servers, ...k3s.agents, ...(k3s.snapshots ? [k3s.snapshots.node] : [])]),
          ...(k3s.version !== undefined ? { version: k3s.version } : {}),
          ...(k3s.mirror ? { mirror: k3s.mirror } : {}),
          ...(k3s.agentRestartBatch !== undefined ? { agentRestartBatch: k3s.agentRestartBatch } : {}),
          ...(k3s.snapshots ? { snapshots: { ...k3s.snapshots, node: host(k3s.snapshots.node) } } : {}),
          residency,
        }),
    );

  // The database on the mesh: a primary in the Fortress and replicas where the rules allow them.
  const db = spec.database;
  const database =
    db &&
    underConfigKey(
      "fortress:database",
      () =>
        new GtidMySql(STACK_NAMES.database, {
          primary: host(db.primary),
          replicas: db.replicas.map(host),
          meshReady: meshOf([db.primary, ...db.replicas, ...(db.backup ? [db.backup.node] : [])]),
          addresses: mesh.addresses,
          mesh: mesh.contract,
          flavour: (db.flavour as MySqlFlavour | undefined) ?? MySqlFlavour.Mysql84,
          ...(db.dataClass ? { dataClass: db.dataClass } : {}),
          ...(db.port !== undefined ? { port: db.port } : {}),
          ...(db.binlogRetentionDays !== undefined ? { binlogRetentionDays: db.binlogRetentionDays } : {}),
          ...(db.backup ? { backup: { ...db.backup, node: host(db.backup.node) } } : {}),
          ...(db.failover ? { failover: db.failover } : {}),
          residency,
        }),
    );

  // The platform on the cluster: only where the stack asks for it, through the cluster's provider.
  const openfaasConfig = spec.openfaas;
  const openfaas =
    openfaasConfig &&
    cluster &&
    underConfigKey(
      "fortress:openfaas",
      () =>
        new OpenFaasPlatform(
          STACK_NAMES.openfaas,
          {
            ...(openfaasConfig as unknown as OpenFaasPlatformArgs),
            // A licence is a secret: it comes from its own secret key, never from plain config.
            ...(config.get("openfaasLicense") !== undefined
              ? { license: config.requireSecret("openfaasLicense") }
              : {}),
          },
          { provider: cluster.provider },
        ),
    );
  const argoConfig = spec.argo;
  const argo =
    argoConfig &&
    cluster &&
    underConfigKey(
      "fortress:argo",
      () =>
        new ArgoBootstrap(STACK_NAMES.argo, argoConfig as unknown as ArgoBootstrapArgs, {
          provider: cluster.provider,
        }),
    );

  // Only the outputs this stack has: an undefined output makes the CLI warn, and shows nothing.
  return definedOnly({
    nodes: Object.fromEntries(
      names.map((n) => [
        n,
        { publicAddress: nodes[n].publicAddress, labels: nodes[n].labels, placement: nodes[n].placement },
      ]),
    ),
    meshAddresses: mesh.addresses,
    kubeconfig: cluster?.kubeconfig,
    apiServer: cluster?.apiServer,
    openfaasGateway: openfaas?.gatewayUrl,
    openfaasPassword: openfaas?.gatewayPassword,
    argoDeployKey: argo?.deployPublicKey,
    argoAdminPassword: argo?.adminPassword,
    databasePrimary: database?.primaryEndpoint,
    databaseReplicas: database?.replicaEndpoints,
    databaseAdminPassword: database?.adminPassword,
    residency: residencyVerdicts(spec.facts, residency),
  });
}

/** The object without its undefined properties; the type says which ones may be absent. */
function definedOnly<T extends Record<string, unknown>>(o: T): { [K in keyof T]: T[K] } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Each residency rule's verdict on what the stack builds, from the same facts the components check
 * and register: the summary of the residency report.
 */
function residencyVerdicts(facts: Deployment, residency: ResidencyArgs) {
  const report = residencyReport(pulumi.getStack(), facts, residency);
  return {
    compliant: report.compliant,
    verdicts: Object.fromEntries(report.verdicts.map((v) => [v.ruleId, v.verdict])),
  };
}
