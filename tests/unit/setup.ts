// Loaded by mocha before any spec (see .mocharc.json): the mocks must be in place before a
// component registers anything. One recorder for the whole run; specs reset it.
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { FortressMocks, installMocks, settle, valueOf } from "../../sdk/testing/mocks";

export const mocks = installMocks(
  new FortressMocks().onInvoke("aws:ec2/getAmi:getAmi", (inputs) => ({
    id: "ami-0debian12test",
    name: (inputs.filters as { values: string[] }[])[0].values[0].replace("*", "20261101-1234"),
  })),
);

/** Options each resource was registered with (parent, dependsOn), which the mocks do not see. */
export const registeredOptions = new Map<string, pulumi.ResourceOptions>();

/** Pass as `transformations` to a component: it is inherited by every child and records its options. */
export const recordOptions: pulumi.ResourceTransformation = (args) => {
  registeredOptions.set(args.name, args.opts);
  return undefined;
};

/** The names of the resources `name` was registered to depend on, sorted. */
export async function dependsOnNames(name: string): Promise<string[]> {
  const deps = (registeredOptions.get(name)?.dependsOn ?? []) as pulumi.Resource[];
  const urns = await Promise.all(deps.map((r) => valueOf(r.urn)));
  return urns.map((urn) => urn.split("::").pop() ?? urn).sort();
}

/** JSON of an input with every secret (however deep) blanked out, assets read: what shows in clear text. */
async function clearText(value: unknown): Promise<string> {
  const blank = async (v: unknown): Promise<unknown> => {
    if (pulumi.runtime.isRpcSecret(v)) return "[secret]";
    if (v instanceof pulumi.asset.StringAsset) return { asset: await v.text };
    if (Array.isArray(v)) return Promise.all(v.map(blank));
    if (v && typeof v === "object") {
      return Object.fromEntries(
        await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await blank(x)])),
      );
    }
    return v;
  };
  return JSON.stringify((await blank(value)) ?? null);
}

/** Fails when `secret` shows in clear text in any input of any recorded resource. */
export async function assertNowhereInClear(secret: string): Promise<void> {
  assert.ok(secret.length > 8, secret);
  for (const r of mocks.resources) {
    for (const [key, value] of Object.entries(r.inputs)) {
      if (r.secretInputs.includes(key)) continue;
      assert.ok(
        !(await clearText(value)).includes(secret),
        `${r.type} ${r.name}.${key} holds a secret in clear text`,
      );
    }
  }
}

/** A Kubernetes provider for component tests: nothing reaches a cluster under the mocks. */
export const testK8sProvider = (): k8s.Provider =>
  new k8s.Provider("k8s", { kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n") });

/** Options for a Kubernetes component under test: the test provider, its children's options recorded. */
export const k8sTestOptions = (): pulumi.ComponentResourceOptions => ({
  providers: [testK8sProvider()],
  transformations: [recordOptions],
});

/** Returns `component` once `outputs` and everything it registered have settled. */
export async function settled<T>(component: T, outputs: pulumi.Output<unknown>[]): Promise<T> {
  for (const output of outputs) await valueOf(output);
  await settle();
  return component;
}

/** Recorded inputs, read as loosely as the JSON they are. */
export interface Payload {
  readonly [key: string]: Payload;
}
export const inputsOf = (name: string): Payload => mocks.named(name).inputs as unknown as Payload;
