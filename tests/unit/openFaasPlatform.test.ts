import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
  OpenFaasFunctionArgs,
  OpenFaasPlatform,
  OpenFaasPlatformArgs,
} from "../../components/openFaasPlatform/openFaasPlatform";
import { NORWEGIAN_NODE_LABEL } from "../../sdk/kubernetes";
import { placementLabels, resolvePlacement } from "../../sdk/residency";
import { isSecret, valueOf } from "../../sdk/testing/mocks";
import {
  assertNowhereInClear,
  dependsOnNames as dependsOn,
  mocks,
  k8sTestOptions,
  settled,
  registeredOptions,
  inputsOf,
  testK8sProvider,
} from "./setup";

const LICENSE = "eyJhbGciOiJFUzI1NiJ9.openfaas-test-license.c2lnbmF0dXJl";

/** The seed's stack.yml, as the component takes it. */
const gdprHandler: OpenFaasFunctionArgs = {
  name: "gdpr-handler",
  image: "registry.coolvds.internal/gdpr-handler:1.4.2",
  scale: { min: 1, max: 15 },
  environment: { write_debug: "true" },
  timeouts: { read: "10s", write: "10s" },
  limits: { memory: "128Mi", cpu: "100m" },
};

const provider = testK8sProvider;

async function platform(name: string, args: OpenFaasPlatformArgs): Promise<OpenFaasPlatform> {
  const p = new OpenFaasPlatform(name, args, k8sTestOptions());
  return settled(p, [p.gatewayPassword, p.functionNames]);
}

const inputs = inputsOf;
describe("OpenFaasPlatform", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  it("creates the namespaces, the gateway password and its Secret, and the release (Community Edition)", async () => {
    await platform("faas", {});
    assert.deepStrictEqual(mocks.resources.map((r) => `${r.type} ${r.name}`).sort(), [
      "fortress:index:OpenFaasPlatform faas",
      "kubernetes:core/v1:Namespace faas-function-namespace",
      "kubernetes:core/v1:Namespace faas-namespace",
      "kubernetes:core/v1:Secret faas-basic-auth",
      "kubernetes:helm.sh/v3:Release faas-chart",
      "pulumi:providers:kubernetes k8s",
      "random:index/randomPassword:RandomPassword faas-gateway-password",
    ]);
  });

  it("installs the pinned openfaas chart from faas-netes into openfaas, with our values", async () => {
    await platform("faas", {});
    const release = inputs("faas-chart");
    assert.strictEqual(release.name, "openfaas");
    assert.strictEqual(release.chart, "openfaas");
    assert.strictEqual(release.version, "15.0.6");
    assert.deepStrictEqual(release.repositoryOpts, { repo: "https://openfaas.github.io/faas-netes" });
    assert.strictEqual(release.namespace, "openfaas");
    assert.strictEqual(release.createNamespace, false);
    assert.deepStrictEqual(release.values, {
      functionNamespace: "openfaas-fn",
      basic_auth: true,
      generateBasicAuth: false,
      openfaasPro: false,
      operator: { create: false },
      createCRDs: true,
      exposeServices: false,
      gateway: { upstreamTimeout: "1m", readTimeout: "1m5s", writeTimeout: "1m5s" },
      prometheus: { create: true },
      nodeSelector: { region: "no" },
    });
  });

  it("runs in operator mode with a license, kept in the openfaas-license Secret", async () => {
    await platform("faas", { license: LICENSE, gatewayTimeout: "2m" });
    const values = inputs("faas-chart").values;
    assert.strictEqual(values.openfaasPro, true);
    assert.deepStrictEqual(values.operator, { create: true });
    assert.deepStrictEqual(values.gateway, {
      upstreamTimeout: "2m",
      readTimeout: "2m5s",
      writeTimeout: "2m5s",
    });
    const license = mocks.named("faas-license");
    assert.deepStrictEqual(license.inputs.metadata, { name: "openfaas-license", namespace: "openfaas" });
    assert.deepStrictEqual(license.inputs.stringData, { license: LICENSE });
    assert.deepStrictEqual(license.secretInputs, ["stringData"]);
    assert.deepStrictEqual(mocks.named("faas").secretInputs, ["license"]);
  });

  it("pins both namespaces to Norwegian nodes with the PodNodeSelector annotation", async () => {
    const p = await platform("faas", {});
    const annotations = { "scheduler.alpha.kubernetes.io/node-selector": "region=no" };
    assert.deepStrictEqual(inputs("faas-namespace").metadata, {
      name: "openfaas",
      labels: { access: "openfaas-system", role: "openfaas-system" },
      annotations,
    });
    assert.deepStrictEqual(inputs("faas-function-namespace").metadata, {
      name: "openfaas-fn",
      labels: { role: "openfaas-fn" },
      annotations,
    });
    assert.strictEqual(await valueOf(p.namespace), "openfaas");
    assert.strictEqual(await valueOf(p.functionNamespace), "openfaas-fn");
  });

  it("the label the namespaces pin to is the one Norwegian nodes carry", () => {
    const labels = placementLabels(
      resolvePlacement({ country: "NO", provider: "coolvds", region: "no-oslo-1" }),
    );
    assert.strictEqual(labels[NORWEGIAN_NODE_LABEL.key], NORWEGIAN_NODE_LABEL.value);
  });

  it("makes the gateway credentials: admin and a random password, secret in the Secret and the output", async () => {
    const p = await platform("faas", {});
    const password = await valueOf(p.gatewayPassword);
    assert.match(password, /^password-faas-gateway-password-\d+$/);
    assert.strictEqual(await isSecret(p.gatewayPassword), true);
    assert.strictEqual(await valueOf(p.gatewayUser), "admin");
    assert.strictEqual(await valueOf(p.gatewayUrl), "http://gateway.openfaas.svc.cluster.local:8080");
    assert.deepStrictEqual(inputs("faas-gateway-password"), { length: 32, special: false });
    const secret = mocks.named("faas-basic-auth");
    assert.deepStrictEqual(secret.inputs.metadata, { name: "basic-auth", namespace: "openfaas" });
    assert.strictEqual(secret.inputs.type, "Opaque");
    assert.deepStrictEqual(secret.inputs.stringData, {
      "basic-auth-user": "admin",
      "basic-auth-password": password,
    });
    assert.deepStrictEqual(secret.secretInputs, ["stringData"]);
  });

  it("deploys the seed's function as a Function resource: scaling labels, limits, environment, timeouts", async () => {
    const p = await platform("faas", {
      license: LICENSE,
      allowedRegistries: ["registry.coolvds.internal"],
      functions: [
        gdprHandler,
        { name: "pdf-render", image: "registry.coolvds.internal/pdf:2", scale: { zero: true } },
      ],
    });
    assert.deepStrictEqual(await valueOf(p.functionNames), ["gdpr-handler", "pdf-render"]);
    const fn = mocks.named("faas-fn-gdpr-handler");
    assert.strictEqual(fn.type, "kubernetes:openfaas.com/v1:Function");
    assert.deepStrictEqual(fn.inputs, {
      apiVersion: "openfaas.com/v1",
      kind: "Function",
      metadata: { name: "gdpr-handler", namespace: "openfaas-fn" },
      spec: {
        name: "gdpr-handler",
        image: "registry.coolvds.internal/gdpr-handler:1.4.2",
        labels: { "com.openfaas.scale.max": "15", "com.openfaas.scale.min": "1" },
        environment: { read_timeout: "10s", write_debug: "true", write_timeout: "10s" },
        limits: { memory: "128Mi", cpu: "100m" },
        constraints: ["region=no"],
      },
    });
    assert.deepStrictEqual(inputs("faas-fn-pdf-render").spec.labels, { "com.openfaas.scale.zero": "true" });
  });

  it("takes environment values from other resources' outputs", async () => {
    await platform("faas", {
      license: LICENSE,
      functions: [{ ...gdprHandler, environment: { db_host: pulumi.output("10.100.0.1") } }],
    });
    assert.strictEqual(inputs("faas-fn-gdpr-handler").spec.environment.db_host, "10.100.0.1");
  });

  it("orders the work: Secrets and namespaces before the release, the release before any Function", async () => {
    await platform("faas", { license: LICENSE, functions: [gdprHandler] });
    assert.deepStrictEqual(await dependsOn("faas-chart"), [
      "faas-basic-auth",
      "faas-function-namespace",
      "faas-license",
      "faas-namespace",
    ]);
    assert.deepStrictEqual(await dependsOn("faas-basic-auth"), ["faas-namespace"]);
    assert.deepStrictEqual(await dependsOn("faas-fn-gdpr-handler"), ["faas-chart"]);
  });

  it("keeps the gateway password and the license out of every input in clear text", async () => {
    const p = await platform("faas", { license: LICENSE, functions: [gdprHandler] });
    await assertNowhereInClear(await valueOf(p.gatewayPassword));
    await assertNowhereInClear(LICENSE);
  });

  it("creates every Kubernetes object through the cluster's provider", async () => {
    await platform("faas", { license: LICENSE, functions: [gdprHandler] });
    const children = mocks.resources.filter((r) => r.type.startsWith("kubernetes:"));
    assert.strictEqual(children.length, 6);
    for (const r of children)
      assert.match(r.provider ?? "", /::pulumi:providers:kubernetes::k8s::k8s-id$/, r.name);
  });

  it("refuses to fall back to the ambient kubeconfig", () =>
    assert.throws(() => new OpenFaasPlatform("faas", {}), {
      message:
        'OpenFaasPlatform "faas" has no Kubernetes provider: pass the cluster\'s provider as a resource option, ' +
        "{ providers: [cluster.provider] } or { provider: cluster.provider }, so that nothing lands in " +
        "whatever cluster the ambient kubeconfig points at",
    }));

  it("installs the chart from a mirror, an https repository or an OCI registry", async () => {
    await platform("a", { chart: { repository: "https://charts.example.no/openfaas/", version: "15.0.5" } });
    assert.deepStrictEqual(inputs("a-chart").repositoryOpts, { repo: "https://charts.example.no/openfaas" });
    assert.strictEqual(inputs("a-chart").version, "15.0.5");
    await platform("b", { chart: { repository: "oci://harbor.example.no/charts" } });
    assert.strictEqual(inputs("b-chart").chart, "oci://harbor.example.no/charts/openfaas");
    assert.strictEqual(inputs("b-chart").repositoryOpts, undefined);
  });

  describe("bad input fails at preview, with the property and the fix", () => {
    const fails = (args: OpenFaasPlatformArgs, message: string) =>
      assert.throws(() => new OpenFaasPlatform("bad", args, { providers: [provider()] }), { message });
    const fn = (overrides: Partial<OpenFaasFunctionArgs>): OpenFaasPlatformArgs => ({
      license: LICENSE,
      functions: [{ ...gdprHandler, ...overrides }],
    });

    it('memory "200M" where Mi was meant', () =>
      fails(
        fn({ limits: { memory: "200M" } }),
        'functions[0].limits.memory: "200M" is 200 megabytes (decimal); did you mean "200Mi"? ' +
          "Write 200000000 if decimal megabytes are meant",
      ));
    it('memory "200m", 0.2 bytes', () =>
      fails(
        fn({ limits: { memory: "200m" } }),
        'functions[0].limits.memory: "200m" is 0.2 bytes ("m" means milli); did you mean "200Mi"?',
      ));
    it("memory without a unit", () =>
      fails(
        fn({ requests: { memory: "128" } }),
        'functions[0].requests.memory: "128" is 128 bytes; did you mean "128Mi"?',
      ));
    it("memory that is not a quantity", () =>
      fails(
        fn({ limits: { memory: "128 MB" } }),
        'functions[0].limits.memory: "128 MB" is not a Kubernetes quantity; write memory in binary units, e.g. "128Mi" or "1Gi"',
      ));
    it('cpu "100", 100 cores', () =>
      fails(
        fn({ limits: { cpu: "100" } }),
        'functions[0].limits.cpu: "100" is 100 CPU cores; did you mean "100m" (0.1 core)?',
      ));
    it("cpu in a memory unit", () =>
      fails(
        fn({ limits: { cpu: "100Mi" } }),
        'functions[0].limits.cpu: "100Mi" is a memory unit, not a CPU amount; write CPU in cores ("0.5", "2") or millicores ("500m")',
      ));
    it("a request above its limit", () =>
      fails(
        fn({ requests: { memory: "256Mi" } }),
        'functions[0].requests.memory: "256Mi" is more than the limit "128Mi"; Kubernetes refuses a request above its limit',
      ));
    it("scale min above max", () =>
      fails(fn({ scale: { min: 5, max: 2 } }), "functions[0].scale.min: 5 is more than scale.max (2)"));
    it("scale min of zero", () =>
      fails(
        fn({ scale: { min: 0 } }),
        "functions[0].scale.min: 0 is not a replica count; use a whole number of 1 or more (scale.zero lets an idle function scale to zero)",
      ));
    it("a function name that is not a DNS-1123 label", () =>
      fails(
        fn({ name: "GDPR_handler" }),
        'functions[0].name: "GDPR_handler" is not a valid function name; use at most 63 lower-case letters, digits ' +
          'and "-", starting and ending with a letter or digit (a DNS-1123 label), e.g. "gdpr-handler"',
      ));
    it("a function declared twice", () =>
      fails(
        { license: LICENSE, functions: [gdprHandler, gdprHandler] },
        'functions[1].name: "gdpr-handler" is declared twice; function names are unique in the namespace',
      ));
    it("an image from a registry the stack does not allow, naming the function and the registry", () =>
      fails(
        {
          ...fn({ image: "docker.io/evil/miner:6.2.1" }),
          allowedRegistries: ["registry.coolvds.internal", "ghcr.io/my-org"],
        },
        'functions[0].image: function "gdpr-handler" pulls from registry "docker.io", which allowedRegistries ' +
          "does not list (registry.coolvds.internal, ghcr.io/my-org)",
      ));
    it("an image on latest, or with no tag at all", () => {
      fails(
        fn({ image: "registry.coolvds.internal/gdpr-handler:latest" }),
        'functions[0].image: "registry.coolvds.internal/gdpr-handler:latest" is not pinned (latest moves); give a version tag such as ":1.4.2" or a digest "@sha256:..."',
      );
      fails(
        fn({ image: "registry.coolvds.internal:5000/gdpr-handler" }),
        'functions[0].image: "registry.coolvds.internal:5000/gdpr-handler" is not pinned (no tag means latest); give a version tag such as ":1.4.2" or a digest "@sha256:..."',
      );
    });
    it("a timeout longer than the gateway's", () =>
      fails(
        fn({ timeouts: { exec: "2m" } }),
        'functions[0].timeouts.exec: "2m" is longer than gatewayTimeout ("1m"), so the gateway would cut the call off first; raise gatewayTimeout',
      ));
    it("a timeout set in the environment instead", () =>
      fails(
        fn({ environment: { exec_timeout: "30s" } }),
        "functions[0].environment.exec_timeout: set it as timeouts.exec, which is checked against gatewayTimeout",
      ));
    it("a scaling label set by hand", () =>
      fails(
        fn({ labels: { "com.openfaas.scale.max": "50" } }),
        "functions[0].labels.com.openfaas.scale.max: set scaling with scale (min, max, zero), which is checked",
      ));
    it("functions without a license (the chart runs the operator only for OpenFaaS Standard)", () =>
      fails(
        { functions: [gdprHandler] },
        "functions: declaring functions needs the OpenFaaS operator (Function custom resources), which the chart " +
          "runs only for OpenFaaS Standard or Enterprise; give license, or leave functions out and deploy them " +
          "through the gateway with faas-cli",
      ));
    it("a chart version range instead of a pin", () =>
      fails(
        { chart: { version: "^15" } },
        'chart.version: "^15" is not an exact chart version; pin one such as "15.0.6"',
      ));
    it("several problems at once, one per line", () =>
      fails(
        fn({ limits: { memory: "200M", cpu: "100" }, scale: { min: 3, max: 1 } }),
        'OpenFaasPlatform "bad" has 3 invalid inputs:\n' +
          "  - functions[0].scale.min: 3 is more than scale.max (1)\n" +
          '  - functions[0].limits.cpu: "100" is 100 CPU cores; did you mean "100m" (0.1 core)?\n' +
          '  - functions[0].limits.memory: "200M" is 200 megabytes (decimal); did you mean "200Mi"? ' +
          "Write 200000000 if decimal megabytes are meant",
      ));
  });
});
