// Random malformed values thrown at every component and at the stack config (property test): each
// input either works or fails with a FortressInputError whose every problem names a property path.
// No TypeError, no serialization dump, no stack trace. Run in a process of its own by
// badInput.test.ts: junk that a component refuses after registering itself leaves registrations
// the mock runtime never settles, which would stall every later test's settle().
import * as assert from "assert";
import * as fc from "fast-check";
import * as pulumi from "@pulumi/pulumi";
import { ArgoBootstrap } from "../../components/argoBootstrap/argoBootstrap";
import { GtidMySql } from "../../components/gtidMySql/gtidMySql";
import { K3sCluster } from "../../components/k3sCluster/k3sCluster";
import { KvmNode } from "../../components/kvmNode/kvmNode";
import { OpenFaasPlatform } from "../../components/openFaasPlatform/openFaasPlatform";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { FortressInputError } from "../../sdk/errors";
import { fortressProgram } from "../../stacks/program";
import { mocks, testK8sProvider } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nYmFkLWlucHV0\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (name: string, placement: Record<string, unknown> = { country: "NO", provider: "coolvds" }) => ({
  name,
  connection: {
    host: "185.1.2.3",
    port: 22,
    user: "root",
    privateKey: KEY,
    dialErrorLimit: 10,
    perDialTimeout: 15,
  },
  publicAddress: "185.1.2.3",
  placement,
});
const addresses = { "osl-1": "10.100.0.1", "osl-2": "10.100.0.2" };

type Make = (name: string, args: Record<string, unknown>) => unknown;
const k8s = () => ({ provider: testK8sProvider() });

/** Each component with args that work, and how to build it. */
const COMPONENTS: { name: string; valid: Record<string, unknown>; make: Make }[] = [
  {
    name: "KvmNode",
    valid: {
      placement: { country: "NO", provider: "coolvds" },
      existing: { host: "185.1.2.3", privateKey: KEY },
      firewall: { allowedTcpPorts: [443] },
    },
    make: (n, a) => new KvmNode(n, a as never),
  },
  {
    name: "KvmNode (ec2)",
    valid: {
      placement: { provider: "aws", region: "eu-north-1" },
      ec2: { adminCidr: "198.51.100.0/24", instanceType: "t3.small" },
    },
    make: (n, a) => new KvmNode(n, a as never),
  },
  {
    name: "WireGuardMesh",
    valid: { nodes: [host("osl-1"), host("osl-2")], cidr: "10.100.0.0/24" },
    make: (n, a) => new WireGuardMesh(n, a as never),
  },
  {
    name: "K3sCluster",
    valid: { servers: [host("osl-1")], agents: [host("osl-2")], addresses, version: "v1.31.4+k3s1" },
    make: (n, a) => new K3sCluster(n, a as never),
  },
  {
    name: "GtidMySql",
    valid: { primary: host("osl-1"), replicas: [host("osl-2")], addresses },
    make: (n, a) => new GtidMySql(n, a as never),
  },
  {
    name: "OpenFaasPlatform",
    valid: { allowedRegistries: ["registry.example.no"] },
    make: (n, a) => new OpenFaasPlatform(n, a, k8s()),
  },
  {
    name: "ArgoBootstrap",
    valid: { repoUrl: "git@github.com:org/infra.git", path: "apps/prod" },
    make: (n, a) => new ArgoBootstrap(n, a as never, k8s()),
  },
];

/** A value of any JSON kind, or one that no config or args should hold. */
const junk = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom(
    null,
    "",
    "0.0.0.0/0",
    -1,
    0,
    70000,
    1.5,
    "latest",
    "http://x",
    [],
    {},
    [null],
    "Ünïcode name",
  ),
);

/** The paths of a value's keys, down to `depth`, so nested settings get junk too. */
function paths(value: unknown, prefix: string[] = [], depth = 2): string[][] {
  if (depth === 0 || typeof value !== "object" || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([k, v]) => [
    [...prefix, k],
    ...paths(v, [...prefix, k], depth - 1),
  ]);
}

function setAt(value: unknown, path: string[], to: unknown): unknown {
  if (path.length === 0) return to;
  const copy: Record<string, unknown> = Array.isArray(value)
    ? ([...value] as unknown as Record<string, unknown>)
    : { ...(value as Record<string, unknown>) };
  copy[path[0]] = setAt(copy[path[0]], path.slice(1), to);
  return copy;
}

/** A mutation: junk at a known path, junk under a made-up key, or junk instead of the whole thing. */
const mutation = (valid: Record<string, unknown>) =>
  fc.oneof(
    fc.tuple(fc.constantFrom(...paths(valid)), junk).map(([p, v]) => setAt(valid, p, v)),
    fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), junk).map(([k, v]) => ({ ...valid, [k]: v })),
    junk,
  );

const counts = { tried: 0, clear: 0, accepted: 0 };

/** Builds it; returns "accepted" or "clear", and fails on anything else. */
function outcome(input: unknown, build: () => unknown): "accepted" | "clear" {
  counts.tried++;
  try {
    build();
    counts.accepted++;
    if (process.env.SHOW_ACCEPTED) console.log("ACCEPTED", JSON.stringify(input));
    return "accepted";
  } catch (e) {
    assert.ok(e instanceof FortressInputError, `not an input error: ${(e as Error).stack ?? String(e)}`);
    for (const p of e.problems) {
      assert.ok(p.propertyPath !== "" && !p.propertyPath.includes("undefined"), `no path: ${e.message}`);
      assert.ok(p.reason.length > 10, `no reason: ${e.message}`);
    }
    counts.clear++;
    return "clear";
  }
}

let serial = 0;

describe("bad input, at random (property)", function () {
  this.timeout(300_000);
  beforeEach(() => mocks.reset());
  after(() => {
    // The figures for the closing note.
    console.log(
      `      bad input: ${counts.tried} inputs tried, ${counts.clear} clear errors, ${counts.accepted} accepted, 0 crashes`,
    );
  });

  for (const c of COMPONENTS) {
    it(`${c.name}: works or names the path of every problem`, () => {
      assert.strictEqual(
        outcome(c.valid, () => c.make(`valid-${serial++}`, c.valid)),
        "accepted",
      );
      fc.assert(
        fc.property(mutation(c.valid), (args) => {
          outcome(args, () => c.make(`p${serial++}`, args as Record<string, unknown>));
        }),
        { numRuns: 40, seed: 12 },
      );
    });
  }

  it("the stack config: works or names the full config key path", () => {
    const valid: Record<string, unknown> = {
      nodes: [
        { name: "osl-1", placement: { country: "NO", provider: "coolvds" }, existing: { host: "185.1.2.3" } },
        { name: "osl-2", placement: { country: "NO", provider: "coolvds" }, existing: { host: "185.1.2.4" } },
      ],
      k3s: { version: "v1.31.4+k3s1", servers: ["osl-1"], agents: ["osl-2"] },
      database: { primary: "osl-1", replicas: ["osl-2"], port: 3307 },
      // The layers the program checks before it registers a node (sdk/stackLayers.ts).
      mesh: { cidr: "10.100.0.0/24", listenPort: 51820, natNodes: ["osl-2"] },
      openfaas: { allowedRegistries: ["registry.example.no"], gatewayTimeout: "1m" },
      argo: { repoUrl: "git@github.com:org/infra.git", path: "apps/prod", knownHosts: [] },
    };
    const run = (config: unknown) => {
      const entries = Object.entries(
        typeof config === "object" && config !== null ? config : { nodes: config },
      );
      pulumi.runtime.setAllConfig(
        {
          "fortress:sshPrivateKey": KEY,
          ...Object.fromEntries(
            entries.map(([k, v]) => [
              `fortress:${k}`,
              typeof v === "string" ? v : (JSON.stringify(v) ?? "null"),
            ]),
          ),
        },
        ["fortress:sshPrivateKey"],
      );
      return fortressProgram(new pulumi.Config("fortress"));
    };
    assert.strictEqual(
      outcome(valid, () => run(valid)),
      "accepted",
    );
    fc.assert(
      fc.property(mutation(valid), (config) => {
        mocks.reset();
        outcome(config, () => run(config));
      }),
      { numRuns: 60, seed: 12 },
    );
  });
});
