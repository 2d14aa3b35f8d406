// Every Kubernetes object OpenFaasPlatform and ArgoBootstrap build, checked against the API's
// schemas (kubernetes-models, @kubernetes-models/argo-cd) and, for the OpenFaaS Function, against
// the CRD's own structural schema, so that a wrong field fails here rather than at sync time.
import * as assert from "assert";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { IApplication } from "@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import { ArgoBootstrap } from "../../components/argoBootstrap/argoBootstrap";
import { ApplicationObject } from "../../sdk/argo";
import { OpenFaasPlatform } from "../../components/openFaasPlatform/openFaasPlatform";
import { NamespaceObject } from "../../sdk/kubernetes";
import { RecordedResource, settle, valueOf } from "../../sdk/testing/mocks";
import { mocks } from "./setup";

// kubernetes-models 5 ships ES modules only (its "exports" have no "require" condition). This
// CommonJS project reaches them with a real dynamic import, which TypeScript would turn into a
// require() if written as import().
// eslint-disable-next-line @typescript-eslint/no-implied-eval -- a fixed loader, never user input
const importEsm = new Function("specifier", "return import(specifier)") as (
  specifier: string,
) => Promise<Record<string, ModelClass>>;

interface Model {
  validate(): void;
}
type ModelClass = new (data: unknown) => Model;
/** Recorded inputs, read as loosely as the JSON they are. */
interface Payload {
  readonly [key: string]: Payload;
}

/** A JSON schema as a CRD's structural schema writes it (the subset the Function CRD uses). */
interface StructuralSchema {
  readonly type?: string;
  readonly properties?: { readonly [key: string]: StructuralSchema };
  readonly additionalProperties?: StructuralSchema;
  readonly items?: StructuralSchema;
  readonly required?: readonly string[];
}

const text: StructuralSchema = { type: "string" };
const textMap: StructuralSchema = { type: "object", additionalProperties: text };
const amounts: StructuralSchema = { type: "object", properties: { cpu: text, memory: text } };
/**
 * The Function CRD's schema, without status: `openfaas.com_functions-crd.yaml` of the openfaas
 * chart 15.0.6 (faas-netes 662ce9c, the same as artifacts/crds/openfaas.com_functions.yaml).
 * No model package exists for it.
 */
const FUNCTION_CRD: StructuralSchema = {
  type: "object",
  required: ["spec"],
  properties: {
    apiVersion: text,
    kind: text,
    metadata: { type: "object" },
    spec: {
      type: "object",
      required: ["image", "name"],
      properties: {
        annotations: textMap,
        constraints: { type: "array", items: text },
        environment: textMap,
        handler: text,
        image: text,
        labels: textMap,
        limits: amounts,
        name: text,
        readOnlyRootFilesystem: { type: "boolean" },
        requests: amounts,
        secrets: { type: "array", items: text },
      },
    },
  },
};

/**
 * What the API server would refuse or silently drop: a wrong type, a missing required field, a
 * field the schema does not have (for a structural schema the API server prunes it).
 */
function structuralErrors(value: unknown, schema: StructuralSchema, path: string): string[] {
  const actual = Array.isArray(value)
    ? "array"
    : value === null
      ? "null"
      : Number.isInteger(value)
        ? "integer"
        : typeof value;
  if (schema.type && schema.type !== actual && !(schema.type === "number" && actual === "integer")) {
    return [`${path} must be ${schema.type}, not ${actual}`];
  }
  const errors: string[] = [];
  if (actual === "object") {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in obj)) errors.push(`${path}.${key} is required`);
    }
    const open = !schema.properties && !schema.additionalProperties;
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key] ?? schema.additionalProperties;
      if (sub) errors.push(...structuralErrors(v, sub, `${path}.${key}`));
      else if (!open) errors.push(`${path}.${key} is not in the schema; the API server would drop it`);
    }
  }
  if (actual === "array" && schema.items) {
    (value as unknown[]).forEach((v, i) =>
      errors.push(...structuralErrors(v, schema.items!, `${path}[${i}]`)),
    );
  }
  return errors;
}

/** The keys of M, at any depth, that T does not have: never when M only uses fields T knows. */
type UnknownKeys<M, T, P extends string = ""> = M extends readonly (infer E)[]
  ? T extends readonly (infer F)[]
    ? UnknownKeys<E, F, `${P}[]`>
    : P
  : M extends object
    ? {
        [K in keyof M & string]: K extends keyof T
          ? UnknownKeys<NonNullable<M[K]>, NonNullable<T[K]>, `${P}.${K}`>
          : `${P}.${K}`;
      }[keyof M & string]
    : never;
/** `true` when every field of M exists in T; otherwise the paths of the fields that do not. */
type FieldsExist<M, T> = [UnknownKeys<M, T>] extends [never] ? true : UnknownKeys<M, T>;

// The builders' types, checked by tsc against the API's: a misspelled field does not compile.
const applicationFieldsExist: FieldsExist<ApplicationObject, IApplication> = true;
const namespaceFieldsExist: FieldsExist<NamespaceObject, INamespace> = true;

const provider = () =>
  new k8s.Provider("k8s", { kubeconfig: pulumi.secret("apiVersion: v1\nkind: Config\n") });

/** A recorded Kubernetes resource turned back into the object the API server gets. */
function objectOf(r: RecordedResource): Record<string, unknown> {
  return Object.fromEntries(Object.entries(r.inputs).filter(([, v]) => v !== undefined));
}

describe("Kubernetes objects against the API schemas", () => {
  let models: Record<string, ModelClass>;
  let ResourceRequirements: ModelClass;
  let PodSpec: ModelClass;
  let Application: ModelClass;
  let Secret: ModelClass;

  before(async () => {
    const v1 = await importEsm("kubernetes-models/v1");
    const argo = await importEsm("@kubernetes-models/argo-cd/argoproj.io/v1alpha1");
    ({ ResourceRequirements, PodSpec, Secret } = v1);
    ({ Application } = argo);
    models = {
      "v1/Namespace": v1.Namespace,
      "v1/Secret": v1.Secret,
      "argoproj.io/v1alpha1/Application": argo.Application,
    };
  });

  /** Builds both components as a stack would and returns the Kubernetes objects they register. */
  async function built(): Promise<RecordedResource[]> {
    mocks.reset();
    const opts = { providers: [provider()] };
    const faas = new OpenFaasPlatform(
      "faas",
      {
        license: "openfaas-test-license",
        allowedRegistries: ["registry.coolvds.internal"],
        functions: [
          {
            name: "gdpr-handler",
            image: "registry.coolvds.internal/gdpr-handler:1.4.2",
            scale: { min: 1, max: 15 },
            environment: { write_debug: "true" },
            timeouts: { read: "10s", write: "10s", exec: "30s" },
            limits: { memory: "128Mi", cpu: "100m" },
            requests: { memory: "64Mi", cpu: "50m" },
            labels: { "fortress.io/data-class": "personal" },
            secrets: ["db-creds"],
          },
          { name: "thumbnails", image: "registry.coolvds.internal/thumbnails:2", scale: { zero: true } },
        ],
      },
      opts,
    );
    const argo = new ArgoBootstrap(
      "gitops",
      {
        repoUrl: "ssh://git@git.example.no:2222/platform/infra.git",
        path: "applications/overlays/production",
        knownHosts: [
          "[git.example.no]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl",
        ],
      },
      opts,
    );
    await valueOf(faas.functionNames);
    await valueOf(argo.deployPublicKey);
    await settle();
    return mocks.resources.filter(
      (r) => r.type.startsWith("kubernetes:") && r.type !== "kubernetes:helm.sh/v3:Release",
    );
  }

  /** The problems of one object: kubernetes-models for the kinds it knows, the CRD schema for Function. */
  function problemsOf(obj: Record<string, unknown>): string[] {
    const key = `${String(obj.apiVersion)}/${String(obj.kind)}`;
    if (key === "openfaas.com/v1/Function") {
      const errors = structuralErrors(obj, FUNCTION_CRD, "");
      // The operator copies limits and requests into the Deployment, where the API checks them.
      const spec = obj.spec as { limits?: unknown; requests?: unknown };
      errors.push(...modelErrors(ResourceRequirements, { limits: spec.limits, requests: spec.requests }));
      return errors;
    }
    const model = models[key];
    if (!model) return [`no schema for ${key}: add its model before building it`];
    return modelErrors(model, obj);
  }

  function modelErrors(model: ModelClass, data: unknown): string[] {
    try {
      new model(data).validate();
      return [];
    } catch (e) {
      return [(e as Error).message];
    }
  }

  it("every object the components register is valid, and each kind has a schema", async () => {
    const objects = await built();
    const kinds = objects.map((r) => `${String(r.inputs.apiVersion)}/${String(r.inputs.kind)}`).sort();
    assert.deepStrictEqual(kinds, [
      "argoproj.io/v1alpha1/Application",
      "openfaas.com/v1/Function",
      "openfaas.com/v1/Function",
      "v1/Namespace",
      "v1/Namespace",
      "v1/Namespace",
      "v1/Secret",
      "v1/Secret",
      "v1/Secret",
    ]);
    for (const r of objects) assert.deepStrictEqual(problemsOf(objectOf(r)), [], `${r.type} ${r.name}`);
  });

  it("the resources and node selectors in the chart values are valid pod fields", async () => {
    await built();
    const values = (name: string) => mocks.named(name).inputs.values as Payload;
    const argo = values("gitops-chart");
    const blocks = Object.entries(argo).filter(([, v]) => v && typeof v === "object" && "resources" in v);
    assert.strictEqual(blocks.length, 8);
    for (const [component, v] of blocks) {
      assert.deepStrictEqual(modelErrors(ResourceRequirements, v.resources), [], component);
    }
    assert.deepStrictEqual(modelErrors(ResourceRequirements, values("gitops-sealed-secrets").resources), []);
    for (const selector of [argo.global.nodeSelector, values("faas-chart").nodeSelector]) {
      assert.deepStrictEqual(modelErrors(PodSpec, { containers: [], nodeSelector: selector }), []);
    }
  });

  it("the builders only use fields the API has (checked by tsc)", () => {
    assert.strictEqual(applicationFieldsExist, true);
    assert.strictEqual(namespaceFieldsExist, true);
    // A misspelled field is a type error; were it not, this directive would be the error.
    // @ts-expect-error: "automatic" is not a field of syncPolicy
    const misspelled: FieldsExist<{ spec: { syncPolicy: { automatic: { prune: boolean } } } }, IApplication> =
      true;
    assert.ok(misspelled);
  });

  describe("catches a wrong object before it reaches the cluster", () => {
    const application = (syncPolicy: unknown) => ({
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "infrastructure-root", namespace: "argocd" },
      spec: {
        project: "default",
        source: { repoURL: "git@github.com:org/infra-repo.git", path: "apps", targetRevision: "HEAD" },
        destination: { server: "https://kubernetes.default.svc", namespace: "argocd" },
        syncPolicy,
      },
    });

    it('an Application whose selfHeal is the string "true"', () =>
      assert.deepStrictEqual(problemsOf(application({ automated: { prune: true, selfHeal: "true" } })), [
        "data/spec/syncPolicy/automated/selfHeal must be boolean",
      ]));

    it("an Application without a destination", () => {
      const app = application({ automated: { prune: true, selfHeal: true } });
      delete (app.spec as Partial<typeof app.spec>).destination;
      assert.deepStrictEqual(problemsOf(app), ["data/spec must have required property destination"]);
    });

    it('resources with "200 MB", which is no quantity', () =>
      assert.match(
        modelErrors(ResourceRequirements, { limits: { memory: "200 MB" } })[0],
        /limits\/memory must match format "quantity"/,
      ));

    it("a repository Secret whose data value is not a string", () =>
      assert.deepStrictEqual(
        modelErrors(Secret, {
          metadata: { name: "gitops-repository" },
          stringData: { type: "git", insecure: true },
        }),
        ["data/stringData/insecure must be string"],
      ));

    it("a Function with a misspelled field, a number for a string and a bad limit", () =>
      assert.deepStrictEqual(
        problemsOf({
          apiVersion: "openfaas.com/v1",
          kind: "Function",
          metadata: { name: "gdpr-handler", namespace: "openfaas-fn" },
          spec: {
            name: "gdpr-handler",
            image: "registry.coolvds.internal/gdpr-handler:1.4.2",
            enviroment: { write_debug: "true" },
            labels: { "com.openfaas.scale.min": 1 },
            limits: { memory: "128 Mi" },
          },
        }),
        [
          ".spec.enviroment is not in the schema; the API server would drop it",
          ".spec.labels.com.openfaas.scale.min must be string, not integer",
          'data/limits/memory must be number, data/limits/memory must match format "quantity", data/limits/memory must match exactly one schema in "oneOf"',
        ],
      ));

    it("kubernetes-models alone lets a misspelled field through (why the builders' types are checked too)", () =>
      assert.deepStrictEqual(
        modelErrors(Application, application({ automatic: { prune: true, selfHeal: true } })),
        [],
      ));
  });
});
