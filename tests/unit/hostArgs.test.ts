import * as assert from "assert";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { GtidMySql } from "../../components/gtidMySql/gtidMySql";
import { hostForState, hostsForState, rememberConnection, sshUser } from "../../components/host/hostArgs";
import { WireGuardMesh } from "../../components/wireGuardMesh/wireGuardMesh";
import { isSecret, settle, valueOf } from "../../sdk/testing/mocks";
import { assertNowhereInClear, mocks } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\naG9zdC1zdGF0ZQ==\n-----END OPENSSH PRIVATE KEY-----\n";
const CONNECTION = { port: 22, user: "root", privateKey: KEY, dialErrorLimit: 1, perDialTimeout: 1 };
const PLACEMENT = { country: "NO", provider: "coolvds", region: "no-oslo-1", site: "Oslo" };

describe("the host contract in a component's state (components/host/hostArgs.ts)", () => {
  it("records a host without the step that prepared it, its connection secret", async () => {
    const ready = new remote.Command("state-ready", {
      connection: { host: "h", ...CONNECTION },
      create: "true",
    });
    const host = { name: "osl-1", connection: { host: "h", ...CONNECTION }, ready, publicAddress: "h" };
    const recorded = hostForState(host) as unknown as Record<string, unknown>;
    assert.deepStrictEqual(Object.keys(recorded).sort(), ["connection", "name", "publicAddress"]);
    assert.strictEqual(await isSecret(recorded.connection as pulumi.Output<unknown>), true);
    // A connection KvmNode already made secret is recorded as it is.
    const made = pulumi.secret({ host: "h", ...CONNECTION });
    rememberConnection(made, "root");
    assert.strictEqual(
      (hostsForState([{ ...host, connection: made }])![0] as unknown as typeof host).connection,
      made,
    );
    // Malformed hosts stay as they are, for the component to report with their paths.
    assert.deepStrictEqual(hostsForState(["x" as never]), ["x"]);
    assert.strictEqual(hostsForState(undefined), undefined);
  });

  it("knows the SSH user without waiting for the connection when it can, and resolves it when not", async () => {
    assert.strictEqual(sshUser({ host: "h", ...CONNECTION, user: "debian" }), "debian");
    const made = pulumi.secret({ host: "h", ...CONNECTION, user: "admin" });
    rememberConnection(made, "admin");
    assert.strictEqual(sshUser(made), "admin");
    const given = pulumi.secret({ host: "h", ...CONNECTION, user: "ops" });
    const user = sshUser(given);
    assert.ok(pulumi.Output.isInstance(user));
    assert.strictEqual(sshUser(given), user, "resolved once per connection");
    assert.strictEqual(await valueOf(user as pulumi.Output<string>), "ops");
    assert.strictEqual(await isSecret(user as pulumi.Output<string>), false, "a user name is no secret");
  });

  it("a component given hosts by hand keeps their keys secret in its state, and no step references", async () => {
    mocks.reset();
    const ready = new remote.Command("hand-ready", {
      connection: { host: "h", ...CONNECTION },
      create: "true",
    });
    // Plain connections, as a program in another language would describe its hosts.
    const hand = (n: number) => ({
      name: `osl-${n}`,
      connection: { host: `185.1.2.${n}`, ...CONNECTION },
      publicAddress: `185.1.2.${n}`,
      placement: PLACEMENT,
      ready,
    });
    const mesh = new WireGuardMesh("hand-mesh", { nodes: [hand(1), hand(2)] });
    const db = new GtidMySql("hand-db", {
      primary: hand(1),
      replicas: [hand(2)],
      addresses: { "osl-1": "10.100.0.1", "osl-2": "10.100.0.2" },
      meshReady: [ready],
    });
    await valueOf(mesh.publicKeys);
    await valueOf(db.primaryEndpoint);
    await settle();
    await assertNowhereInClear(KEY);
    for (const name of ["hand-mesh", "hand-db"]) {
      const state = JSON.stringify(mocks.named(name).inputs);
      assert.ok(!state.includes("hand-ready"), `${name} records a step: ${state.slice(0, 300)}`);
      assert.ok(!("meshReady" in mocks.named(name).inputs), name);
    }
  });
});
