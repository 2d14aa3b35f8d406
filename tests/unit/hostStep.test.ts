import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { hostStep } from "../../components/host/hostStep";
import { scriptOfCommand } from "../../sdk/scripts/render";
import { settle, valueOf } from "../../sdk/testing/mocks";
import { dependsOnNames, mocks, recordOptions, registeredOptions } from "./setup";

const ROOT = path.resolve(__dirname, "../..");
const sources = (dir: string): string[] =>
  fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? sources(path.join(dir, e.name))
        : e.name.endsWith(".ts")
          ? [path.join(dir, e.name)]
          : [],
    );

class Parent extends pulumi.ComponentResource {
  constructor(name: string) {
    super("test:index:Parent", name, {}, { transformations: [recordOptions] });
  }
}

const connection = (user: string) =>
  pulumi.secret({ host: "h", port: 22, user, privateKey: "k", dialErrorLimit: 1, perDialTimeout: 1 });

describe("hostStep", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  it("is the only place a component makes a remote command", () => {
    const offenders = sources(path.join(ROOT, "components"))
      .filter((f) => !f.endsWith(path.join("host", "hostStep.ts")))
      .filter((f) => /new remote\.Command\(/.test(fs.readFileSync(f, "utf8")))
      .map((f) => path.relative(ROOT, f));
    assert.deepStrictEqual(offenders, []);
  });

  it("runs the script under sudo for a user other than root, after the host's ready step and what it names", async () => {
    const parent = new Parent("p");
    const ready = hostStep(parent, "h-ready", {
      host: { connection: connection("root") },
      run: { name: "r", script: "true\n" },
    });
    const before = hostStep(parent, "h-before", {
      host: { connection: connection("root") },
      run: { name: "b", script: "true\n" },
    });
    const step = hostStep(parent, "h-step", {
      host: { connection: connection("debian"), ready },
      run: { name: "fortress-x", script: pulumi.output("echo run\n") },
      onDelete: { name: "fortress-x-teardown", script: "echo gone\n" },
      after: [before],
    });
    await valueOf(step.stdout);
    await settle();
    const inputs = mocks.named("h-step").inputs as Record<string, string | boolean>;
    assert.match(inputs.create as string, /^sudo -n bash -c .* 'fortress-x'$/s);
    assert.strictEqual(scriptOfCommand(inputs.create as string), "echo run\n");
    assert.strictEqual(scriptOfCommand(inputs.delete as string), "echo gone\n");
    assert.match(inputs.delete as string, /'fortress-x-teardown'$/);
    assert.strictEqual(inputs.addPreviousOutputInEnv, false);
    assert.strictEqual(inputs.logging, undefined);
    assert.deepStrictEqual(await dependsOnNames("h-step"), ["h-before", "h-ready"]);
    assert.deepStrictEqual(mocks.named("h-step").secretInputs, ["connection"]);
  });

  it("keeps a secret output secret and out of the log, and its stdin secret", async () => {
    const parent = new Parent("p");
    const step = hostStep(parent, "h-secret", {
      host: { connection: connection("root") },
      run: { name: "fortress-kubeconfig", script: "cat /etc/x\n" },
      stdin: pulumi.secret("token\n"),
      secretOutput: true,
    });
    await valueOf(step.stdout);
    await settle();
    const r = mocks.named("h-secret");
    assert.strictEqual(r.inputs.logging, "stderr");
    assert.deepStrictEqual([...r.secretInputs].sort(), ["connection", "stdin"]);
    const opts = registeredOptions.get("h-secret") as pulumi.CustomResourceOptions;
    assert.ok(opts.additionalSecretOutputs?.includes("stdout"), String(opts.additionalSecretOutputs));
  });
});
