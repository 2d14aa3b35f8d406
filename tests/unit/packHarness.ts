// Runs the policy pack the way the engine does: resource policies get each resource's INPUTS before
// it is created, stack policies get every resource's OUTPUTS after the update. Props go through the
// engine's wire form (a protobuf Struct: secrets with their signature, unknowns as the engine's
// sentinels) and back through @pulumi/policy's own deserializer and unknown-checking proxy, so a
// policy sees exactly what it sees under the CLI. Recordings in /work/engine-feed, if any, follow
// the same shape.
import * as pulumi from "@pulumi/pulumi";
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { fortressPolicies } from "../../sdk/policy/policies";

/* eslint-disable @typescript-eslint/no-require-imports */
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
  deserializeProperties: (s: Struct, proxySecrets: boolean) => Record<string, unknown>;
};
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as {
  unknownCheckingProxy: <T>(o: T) => T;
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The engine's encoding of a value not known yet (preview). */
export const UNKNOWN = pulumi.runtime.unknownValue;
/** The engine's encoding of a secret: @pulumi/policy unwraps it for policies. */
export const secretWire = (value: unknown) => ({
  [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig,
  value,
});

/** A resource of a program as the engine knows it: what it was given and what it ended with. */
export interface EngineResource {
  readonly type: string;
  readonly name: string;
  /** Its args (component) or inputs (custom resource), in wire form (UNKNOWN, secretWire allowed). */
  readonly inputs: Record<string, unknown>;
  /** Its registered outputs (component) or provider state (custom resource). Default: the inputs. */
  readonly outputs?: Record<string, unknown>;
  /** Its provider's inputs, e.g. `{ region: "eu-north-1" }`. */
  readonly provider?: Record<string, unknown>;
}

// The SDK's signature of a resource reference. An analyzer does not take references: the engine
// marshals one as the resource's ID, or its URN for a component (my reading of the engine's
// plugin.MarshalPropertyValue without KeepResources; /work/engine-feed recordings settle it).
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const noReferences = (v: unknown): unknown => {
  if (Array.isArray(v)) return v.map(noReferences);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  if (o[pulumi.runtime.specialSigKey] === RESOURCE_SIG) return o.id || o.urn;
  return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, noReferences(x)]));
};

/** Props as a policy receives them from the engine. */
export function wire(props: Record<string, unknown>): Record<string, unknown> {
  const struct = Struct.fromJavaScript(noReferences(props) as never);
  return unknownCheckingProxy(deserializeProperties(struct, false));
}

const urnOf = (r: EngineResource) => `urn:pulumi:test::fortress::${r.type}::${r.name}`;

function policyResource(r: EngineResource, props: Record<string, unknown>): PolicyResource {
  return {
    type: r.type,
    name: r.name,
    urn: urnOf(r),
    props: wire(props),
    opts: {},
    dependencies: [],
    propertyDependencies: {},
    isType: () => false,
    asType: () => undefined,
    ...(r.provider
      ? {
          provider: {
            type: `pulumi:providers:${r.type.split(":")[0]}`,
            name: "default",
            urn: "",
            props: wire(r.provider),
          },
        }
      : {}),
  } as unknown as PolicyResource;
}

const isStack = (p: StackValidationPolicy | ResourceValidationPolicy): p is StackValidationPolicy =>
  "validateStack" in p;

/**
 * Every policy over a program, as the engine runs them; each finding as
 * `policy [resource name] message`. A policy that throws fails the test, as the engine would fail
 * the update.
 */
export async function runPack(
  resources: readonly EngineResource[],
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const found: string[] = [];
  const getConfig = <T extends object>() => config as T;
  for (const policy of fortressPolicies) {
    const report = (message: string, urn?: string) =>
      found.push(`${policy.name} [${(urn ?? "").split("::").pop()}] ${message}`);
    if (isStack(policy)) {
      const stackResources = resources.map((r) => policyResource(r, r.outputs ?? r.inputs));
      await policy.validateStack({ resources: stackResources, getConfig } as never, report);
    } else {
      for (const r of resources) {
        const res = policyResource(r, r.inputs);
        const args = { ...res, getConfig, notApplicable: () => undefined };
        const validations = Array.isArray(policy.validateResource)
          ? policy.validateResource
          : [policy.validateResource];
        for (const v of validations) await v!(args as never, (m: string) => report(m, res.urn));
      }
    }
  }
  return found;
}
