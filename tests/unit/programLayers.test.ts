import * as assert from "assert";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { fortressProgram } from "../../stacks/program";
import { mocks } from "./setup";
import { nodes, stack } from "./programFixtures";

// The stack program's layers above the nodes (k3s, the platform, the database): checked from the
// config before any resource is registered, and passed on to the components.

describe("the stack program", () => {
  beforeEach(() => mocks.reset());

  it("refuses a replica on AWS from the config alone, before it registers any resource", async () => {
    assert.throws(() => fortressProgram(stack({ database: { primary: "osl-1", replicas: ["fleet-1"] } })), {
      message:
        "the stack config has 3 invalid inputs:\n" +
        '  - fortress:database.replicas: residency rule personal-data-location: MySQL replica "db/fleet-1" holds personal data on node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act); the residency policy allows personal data only in Norway. Move MySQL replica "db/fleet-1" from node "fleet-1" to a node in Norway, or keep only internal or public data in it.\n' +
        '  - fortress:database.replicas: residency rule foreign-jurisdiction: MySQL replica "db/fleet-1" holds personal data on node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act); under the US CLOUD Act, authorities of the United States can compel the provider to hand over data it holds anywhere, so the data is under a third country\'s jurisdiction wherever the node is (Schrems II). Move MySQL replica "db/fleet-1" from node "fleet-1" to a node whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is under no foreign access law (e.g. CoolVDS in Norway).\n' +
        '  - fortress:database.replicas: residency rule replication-target: Flow "db replication to fleet-1" sends personal data to node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act), which may not hold it: Sweden is not an allowed country (allowed: Norway); its provider Amazon Web Services has its legal seat in the United States, subject to the US CLOUD Act. Send personal data only to nodes in Norway whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is under no foreign access law (e.g. CoolVDS in Norway), or send only internal or public data to node "fleet-1".',
    });
    await settle();
    assert.deepStrictEqual(mocks.resources, [], "a resource was registered before the refusal");
  });

  it("refuses a bad input of a later layer before it registers any node", async () => {
    assert.throws(
      () => fortressProgram(stack({ k3s: { version: "v1.36.4+k3s1", servers: ["osl-1"], agent: [] } })),
      {
        message:
          'fortress:k3s.agent: is not a k3s setting; did you mean "agents"? use version, servers, agents, mirror, agentRestartBatch, snapshots',
      },
    );
    await settle();
    assert.deepStrictEqual(mocks.resources, []);
  });

  it("refuses bad K3sCluster settings from the config alone, before it registers any node", async () => {
    assert.throws(
      () =>
        fortressProgram(
          stack({
            k3s: {
              version: "1.36",
              servers: ["osl-1", "osl-2"],
              agents: ["osl-1"],
              mirror: { url: "http://mirror.example.no/k3s" },
              agentRestartBatch: 0,
              snapshots: { node: "fleet-1", schedule: "every day" },
            },
          }),
        ),
      {
        message:
          "the stack config has 6 invalid inputs:\n" +
          "  - fortress:k3s.servers: has 2 nodes; embedded etcd needs an odd number (1, 3, 5...) to keep a quorum through a failure\n" +
          '  - fortress:k3s.version: "1.36" is not a k3s release; pin one such as "v1.36.4+k3s1" (see the k3s releases page)\n' +
          '  - fortress:k3s.agents[0]: "osl-1" is in the cluster twice; a node is a server or an agent, once\n' +
          '  - fortress:k3s.mirror.url: "http://mirror.example.no/k3s" is plain http, where the binaries and the checksums they are checked against can both be swapped on the way; serve the mirror over https, e.g. "https://mirror.example.no/k3s"\n' +
          "  - fortress:k3s.agentRestartBatch: 0 is not a number of agents; use a whole number of 1 or more\n" +
          '  - fortress:k3s.snapshots.schedule: "every day" is not a cron schedule; use five fields such as "0 */6 * * *" or "@daily"',
      },
    );
    await settle();
    assert.deepStrictEqual(mocks.resources, []);
  });

  it("refuses etcd snapshots kept on a node that may not hold special-category data, naming the key", async () => {
    assert.throws(
      () =>
        fortressProgram(
          stack({
            nodes: [
              ...nodes,
              ...["osl-3"].map((n) => ({ ...nodes[0], name: n, existing: { host: "185.1.2.5" } })),
            ],
            k3s: { servers: ["osl-1", "osl-2", "osl-3"], snapshots: { node: "fleet-1" } },
          }),
        ),
      (e: Error) => {
        assert.match(
          e.message,
          /fortress:k3s\.snapshots\.node: residency rule [a-z-]+: .*"k3s\/etcd-snapshots"/,
        );
        assert.doesNotMatch(e.message, /fortress:k3s\.servers/);
        return true;
      },
    );
    await settle();
    assert.deepStrictEqual(mocks.resources, []);
    // The mesh, OpenFaaS and Argo CD, through the components' own checks (sdk/wireguard, sdk/openfaas,
    // sdk/argo): under `up --skip-preview` the constructors would throw after the nodes registered.
    const k3s = { version: "v1.31.4+k3s1", servers: ["osl-1"], agents: ["fleet-1"] };
    const refused: [Record<string, unknown>, string][] = [
      [
        { mesh: { listenPort: 70000 } },
        "fortress:mesh.listenPort: 70000 is not a valid port; use a whole number from 1 to 65535",
      ],
      [
        { mesh: { cidr: "8.8.8.0/24" } },
        'fortress:mesh.cidr: "8.8.8.0/24" is not a private range; use one inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10',
      ],
      [{ mesh: { natNodes: ["osl-9"] } }, 'fortress:mesh.natNodes: "osl-9" is not a node of the mesh'],
      [
        { mesh: { addresses: { "osl-1": "10.100.0.7", "osl-2": "10.100.0.7" } } },
        'fortress:mesh.addresses["osl-2"]: node "osl-2" would get 10.100.0.7, which node "osl-1" has; pin one of them to a free address, e.g. "10.100.0.254"',
      ],
      [
        { mesh: { nodes: ["osl-1"] } },
        "fortress:mesh.nodes: is set by the stack: the mesh joins every node of fortress:nodes, so leave it out",
      ],
      [
        { k3s, openfaas: { gatewayTimeout: "soon" } },
        'fortress:openfaas.gatewayTimeout: "soon" is not a duration; use a number with a unit, e.g. "10s", "1m30s" or "2m"',
      ],
      [
        { k3s, openfaas: { allowedRegistry: ["registry.example.no"] } },
        'fortress:openfaas.allowedRegistry: is not an OpenFaasPlatform setting; did you mean "allowedRegistries"? use chart, license, functions, allowedRegistries, gatewayTimeout',
      ],
      [
        { k3s, openfaas: { license: "plain-text-licence" } },
        "fortress:openfaas.license: is a secret and would sit in plain config: set it with `pulumi config set --secret fortress:openfaasLicense` instead",
      ],
      [
        { k3s, argo: { repoUrl: "https://github.com/org/infra.git", path: "apps/prod" } },
        'fortress:argo.repoUrl: "https://github.com/org/infra.git" is not an SSH repository URL, which the deploy key needs; use one such as "git@github.com:org/infra-repo.git" or "ssh://git@git.example.no:2222/org/infra-repo.git"',
      ],
      [
        {
          k3s,
          argo: { repoUrl: "git@github.com:org/infra.git", path: "apps/prod", knownHosts: "github.com" },
        },
        'fortress:argo.knownHosts: must be a list of known_hosts lines, not "github.com"',
      ],
    ];
    for (const [config, message] of refused) {
      mocks.reset();
      assert.throws(() => fortressProgram(stack(config)), { message }, JSON.stringify(config));
      await settle();
      assert.deepStrictEqual(mocks.resources, [], `registered before refusing ${JSON.stringify(config)}`);
    }
  });

  it("judges the platform with the cluster's nodes and shows it in the residency output", async () => {
    const out = fortressProgram(
      stack({
        k3s: { version: "v1.31.4+k3s1", servers: ["osl-1"], agents: ["fleet-1"] },
        openfaas: { allowedRegistries: ["registry.example.no"] },
        argo: { repoUrl: "git@github.com:org/infra.git", path: "apps/prod" },
      }),
    );
    assert.strictEqual(out.residency.compliant, true);
    assert.strictEqual(out.residency.verdicts["workload-affinity"], "pass");
    await settle();
    // Without the platform the rule has nothing of the stack's to judge.
    mocks.reset();
    const bare = fortressProgram(
      stack({ k3s: { version: "v1.31.4+k3s1", servers: ["osl-1"], agents: ["fleet-1"] } }),
    );
    assert.strictEqual(bare.residency.verdicts["workload-affinity"], "nothing to judge");
    await settle();
  });

  it("refuses a platform pinned to Norway in a Swedish cluster, naming its config key", async () => {
    // Pods pinned to region=no never schedule where no node carries the label.
    const sweden = { country: "SE", provider: "safespring" };
    const config = {
      nodes: [{ name: "sto-1", placement: sweden, existing: { host: "185.1.2.9" } }],
      allowedCountries: ["SE"],
      k3s: { version: "v1.31.4+k3s1", servers: ["sto-1"] },
      openfaas: {},
    };
    const cannot = (w: string) =>
      `  - fortress:openfaas: residency rule workload-affinity: ${w} requires node labels region=no, which no node of the deployment carries, so it cannot be scheduled anywhere. Require labels that the intended nodes carry (KvmNode sets region, topology.kubernetes.io/region and fortress.io/jurisdiction), e.g. region=no.`;
    assert.throws(() => fortressProgram(stack(config)), {
      message: [
        "the stack config has 2 invalid inputs:",
        cannot('OpenFaaS gateway namespace "openfaas/openfaas"'),
        cannot('OpenFaaS function namespace "openfaas/openfaas-fn"'),
      ].join("\n"),
    });
    await settle();
    assert.deepStrictEqual(mocks.resources, []);
    // Its twin: the same cluster in Norway.
    mocks.reset();
    const norway = { country: "NO", provider: "coolvds" };
    const out = fortressProgram(
      stack({
        ...config,
        nodes: [{ name: "sto-1", placement: norway, existing: { host: "185.1.2.9" } }],
        allowedCountries: ["NO"],
      }),
    );
    assert.strictEqual(out.residency.verdicts["workload-affinity"], "pass");
    await settle();
  });

  it("checks fortress:database as GtidMySql will, before it registers any node", async () => {
    assert.throws(
      () =>
        fortressProgram(
          stack({
            database: {
              primary: "osl-1",
              replicas: ["osl-2"],
              flavour: "mysql57",
              binlogRetentionDays: 0,
              backup: { node: "osl-2", keep: 0 },
            },
          }),
        ),
      {
        message:
          "the stack config has 3 invalid inputs:\n" +
          '  - fortress:database.flavour: "mysql57" is not a MySQL flavour; use "mysql84" (MySQL 8.4 LTS, the default), "mysql80" (MySQL 8.0, end of life) or "mariadb" (MariaDB as Debian ships it)\n' +
          "  - fortress:database.binlogRetentionDays: 0 is out of range; use 1 to 365 days\n" +
          "  - fortress:database.backup.keep: 0 is out of range; keep 1 to 365 backups",
      },
    );
    await settle();
    assert.deepStrictEqual(mocks.resources, [], "a resource was registered before the refusal");
  });

  it("refuses a bad fortress:database.failover before it registers any node", async () => {
    const cases: [unknown, string][] = [
      [{ from: "osl-9" }, 'fortress:database.failover.from: "osl-9" is not a node of fortress:nodes'],
      [
        { from: "osl-1" },
        'fortress:database.failover.from: "osl-1" is the primary; name the primary that is gone',
      ],
      [{ to: "osl-1" }, "fortress:database.failover.to: is not a failover setting"],
      ["osl-2", 'fortress:database.failover: must be an object (a YAML mapping), not "osl-2"'],
    ];
    for (const [failover, message] of cases) {
      mocks.reset();
      assert.throws(
        () => fortressProgram(stack({ database: { primary: "osl-1", replicas: ["osl-2"], failover } })),
        (e: Error) => e.message.includes(message) || assert.fail(`${message}\nnot in\n${e.message}`),
      );
      await settle();
      assert.deepStrictEqual(mocks.resources, []);
    }
  });

  it("passes fortress:database.failover on: no step runs on the gone primary, the named replica takes over", async () => {
    const out = fortressProgram(
      stack({
        database: { primary: "osl-2", replicas: ["osl-1"], flavour: "mariadb", failover: { from: "osl-1" } },
      }),
    );
    await valueOf(out.databasePrimary!);
    await settle();
    assert.match(mocks.named("db-osl-2-promote").inputs.create as string, /^FAILED='osl-1@/m);
    assert.match(mocks.named("db-osl-1-config").inputs.create as string, /fortress-mysql-fenced/);
  });

  it("passes fortress:database port on to the database", async () => {
    const out = fortressProgram(stack({ database: { primary: "osl-1", replicas: ["osl-2"], port: 3307 } }));
    assert.match(await valueOf(out.databasePrimary!), /:3307$/);
    await settle();
    assert.strictEqual(mocks.named("db").inputs.port, 3307);
  });
});
