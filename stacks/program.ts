import * as pulumi from "@pulumi/pulumi";
import {
  ArgoBootstrap,
  ArgoBootstrapArgs,
  GtidMySql,
  MySqlFlavour,
  HostArgs,
  K3sCluster,
  KvmNode,
  KvmNodeArgs,
  OpenFaasPlatform,
  OpenFaasPlatformArgs,
  WireGuardMesh,
} from "../components";
import { configObject, parseNodeRefs, parseNodesConfig, underConfigKey } from "../sdk/config";
import { FortressInputError } from "../sdk/errors";
import { ResourceFacts, programFacts } from "../sdk/policy/facts";
import { residencyReport } from "../sdk/report";
import { DataClass as GtidMySqlDataClass, ResidencyArgs, validateResidencyPolicy } from "../sdk/residency";

/**
 * The Fortress program: every stack is this code plus its `Pulumi.<stack>.yaml`, so a new
 * environment is a new config file. Layers: nodes, the mesh over them, then what runs on the
 * mesh (k3s). Every config error names its key.
 */
export function fortressProgram(config: pulumi.Config = new pulumi.Config("fortress")) {
  const sshPrivateKey = config.requireSecret("sshPrivateKey");
  const residency = residencyConfig(config);

  // What the residency verdicts are computed from: the components' args, read as the policy pack reads them.
  const facts: ResourceFacts[] = [];
  const nodeConfigs = parseNodesConfig(config.requireObject<unknown>("nodes"));
  const names = nodeConfigs.map((n) => n.name);
  const nodes = Object.fromEntries(
    nodeConfigs.map((node, i) => [
      node.name,
      underConfigKey(`fortress:nodes[${i}]`, () => {
        const args = node.args as unknown as KvmNodeArgs;
        // Existing servers share the stack's SSH key, so it never sits in plain config.
        const existing = args.existing ? { ...args.existing, privateKey: sshPrivateKey } : undefined;
        facts.push({
          type: "fortress:index:KvmNode",
          name: node.name,
          urn: node.name,
          props: { placement: args.placement },
        });
        return new KvmNode(node.name, { ...args, existing });
      }),
    ]),
  );

  const meshConfig = configObject(config.getObject("mesh"), "fortress:mesh") ?? {};
  const mesh = underConfigKey(
    "fortress:mesh",
    () => new WireGuardMesh("mesh", { ...meshConfig, nodes: names.map((n) => nodes[n].host()) }),
  );
  // A host as the layers above the mesh take it: ready once its mesh interface is configured.
  const onMesh = (name: string): HostArgs => ({ ...nodes[name].host(), ready: mesh.appliedOn(name) });

  const k3sConfig = configObject(config.getObject("k3s"), "fortress:k3s");
  const cluster = k3sConfig
    ? underConfigKey("fortress:k3s", () => {
        if (typeof k3sConfig.version !== "string") {
          throw new FortressInputError("version", 'is required: the pinned k3s release, e.g. "v1.31.4+k3s1"');
        }
        const servers = parseNodeRefs(k3sConfig.servers, "servers", names, true);
        const agents = parseNodeRefs(k3sConfig.agents, "agents", names, false);
        const hostFacts = (n: string) => ({ name: n, placement: nodes[n].host().placement });
        facts.push({
          type: "fortress:index:K3sCluster",
          name: "k3s",
          urn: "k3s",
          props: { servers: servers.map(hostFacts), agents: agents.map(hostFacts) },
        });
        return new K3sCluster("k3s", {
          servers: servers.map(onMesh),
          agents: agents.map(onMesh),
          addresses: mesh.addresses,
          version: k3sConfig.version,
          ...(k3sConfig.mirror ? { mirror: k3sConfig.mirror as { url: string } } : {}),
          residency,
        });
      })
    : undefined;

  // The database on the mesh: a primary in the Fortress and replicas where the rules allow them.
  const dbConfig = configObject(config.getObject("database"), "fortress:database");
  const database =
    dbConfig &&
    underConfigKey("fortress:database", () => {
      const [primary] = parseNodeRefs([dbConfig.primary], "primary", names, true);
      const replicas = parseNodeRefs(dbConfig.replicas, "replicas", names, false);
      const hostFacts = (n: string) => ({ name: n, placement: nodes[n].host().placement });
      // Backups: `backup: {node, onCalendar, keep}`, the node by name.
      const backupConfig = configObject(dbConfig.backup, "backup");
      const [backupNode] = backupConfig ? parseNodeRefs([backupConfig.node], "backup.node", names, true) : [];
      facts.push({
        type: "fortress:index:GtidMySql",
        name: "db",
        urn: "db",
        props: {
          primary: hostFacts(primary),
          replicas: replicas.map(hostFacts),
          dataClass: dbConfig.dataClass,
          ...(backupNode ? { backup: { node: hostFacts(backupNode) } } : {}),
        },
      });
      return new GtidMySql("db", {
        primary: onMesh(primary),
        replicas: replicas.map(onMesh),
        addresses: mesh.addresses,
        flavour: (dbConfig.flavour as MySqlFlavour | undefined) ?? MySqlFlavour.Mysql84,
        ...(dbConfig.dataClass ? { dataClass: dbConfig.dataClass as GtidMySqlDataClass } : {}),
        ...(backupConfig && backupNode
          ? {
              backup: {
                node: onMesh(backupNode),
                ...(backupConfig.onCalendar !== undefined
                  ? { onCalendar: backupConfig.onCalendar as string }
                  : {}),
                ...(backupConfig.keep !== undefined ? { keep: backupConfig.keep as number } : {}),
              },
            }
          : {}),
        residency,
      });
    });

  // The platform on the cluster: only where the stack asks for it, through the cluster's provider.
  const onCluster = (key: string) => {
    const raw = configObject(config.getObject(key), `fortress:${key}`);
    if (raw && !cluster)
      throw new FortressInputError(`fortress:${key}`, "needs fortress:k3s: it runs on the cluster");
    return raw;
  };
  const openfaasConfig = onCluster("openfaas");
  const openfaas =
    openfaasConfig &&
    underConfigKey(
      "fortress:openfaas",
      () =>
        new OpenFaasPlatform(
          "openfaas",
          {
            ...(openfaasConfig as unknown as OpenFaasPlatformArgs),
            // A licence is a secret: it comes from its own secret key, never from plain config.
            ...(config.get("openfaasLicense") !== undefined
              ? { license: config.requireSecret("openfaasLicense") }
              : {}),
          },
          { provider: cluster!.provider },
        ),
    );
  const argoConfig = onCluster("argo");
  const argo =
    argoConfig &&
    underConfigKey(
      "fortress:argo",
      () =>
        new ArgoBootstrap("argo", argoConfig as unknown as ArgoBootstrapArgs, {
          provider: cluster!.provider,
        }),
    );

  return {
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
    residency: residencyVerdicts(facts, residency),
  };
}

/** `fortress:allowedCountries` and `fortress:enforcement`, checked by the residency model itself. */
function residencyConfig(config: pulumi.Config): ResidencyArgs {
  const raw = {
    allowedCountries: config.getObject<unknown>("allowedCountries") ?? ["NO"],
    enforcement: config.getObject<unknown>("enforcement") ?? {},
  };
  try {
    const policy = validateResidencyPolicy(raw, "fortress");
    return {
      allowedCountries: [...policy.allowedCountries],
      enforcement: { ...policy.enforcement },
    };
  } catch (e) {
    // The model names `fortress.enforcement...`; in a stack file the key is `fortress:enforcement`.
    if (e instanceof FortressInputError) {
      const rooted = new FortressInputError(e.propertyPath.replace(/^fortress\./, "fortress:"), e.reason);
      rooted.message = e.message.replace(/fortress\.(allowedCountries|enforcement)/g, "fortress:$1");
      throw rooted;
    }
    throw e;
  }
}

/** Each residency rule's verdict on what the stack builds: the summary of the residency report. */
function residencyVerdicts(facts: readonly ResourceFacts[], residency: ResidencyArgs) {
  const report = residencyReport(pulumi.getStack(), programFacts(facts).deployment, residency);
  return {
    compliant: report.compliant,
    verdicts: Object.fromEntries(report.verdicts.map((v) => [v.ruleId, v.verdict])),
  };
}
