import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ArgoBootstrap, ArgoBootstrapArgs } from "../../components/argoBootstrap/argoBootstrap";
import { parseSshRepository } from "../../sdk/argo";
import { fakeBcryptHash, isSecret, valueOf } from "../../sdk/testing/mocks";
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

const REPO = "git@github.com:org/infra-repo.git";
const PATH = "applications/overlays/production";

const provider = testK8sProvider;

async function argo(name: string, args: Partial<ArgoBootstrapArgs> = {}): Promise<ArgoBootstrap> {
  const a = new ArgoBootstrap(name, { repoUrl: REPO, path: PATH, ...args }, k8sTestOptions());
  return settled(a, [a.adminPassword, a.deployPublicKey]);
}

const inputs = inputsOf;
describe("ArgoBootstrap", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  it("creates the namespace, password, deploy key, repository Secret, both charts and the root Application", async () => {
    await argo("gitops");
    assert.deepStrictEqual(mocks.resources.map((r) => `${r.type} ${r.name}`).sort(), [
      "fortress:index:ArgoBootstrap gitops",
      "kubernetes:argoproj.io/v1alpha1:Application gitops-root",
      "kubernetes:core/v1:Namespace gitops-namespace",
      "kubernetes:core/v1:Secret gitops-repository",
      "kubernetes:helm.sh/v3:Release gitops-chart",
      "kubernetes:helm.sh/v3:Release gitops-sealed-secrets",
      "pulumi:providers:kubernetes k8s",
      "random:index/randomPassword:RandomPassword gitops-admin-password",
      "tls:index/privateKey:PrivateKey gitops-deploy-key",
    ]);
  });

  it("installs the pinned argo-cd chart into argocd, pinned to Norwegian nodes", async () => {
    await argo("gitops");
    const release = inputs("gitops-chart");
    assert.strictEqual(release.name, "argocd");
    assert.strictEqual(release.chart, "argo-cd");
    assert.strictEqual(release.version, "10.1.1");
    assert.deepStrictEqual(release.repositoryOpts, { repo: "https://argoproj.github.io/argo-helm" });
    assert.strictEqual(release.namespace, "argocd");
    assert.strictEqual(release.createNamespace, false);
    assert.deepStrictEqual(release.values.global, {
      networkPolicy: { create: true, defaultDenyIngress: true },
      nodeSelector: { "kubernetes.io/os": "linux", region: "no" },
    });
    assert.deepStrictEqual(inputs("gitops-namespace").metadata, {
      name: "argocd",
      annotations: { "scheduler.alpha.kubernetes.io/node-selector": "region=no" },
    });
  });

  it("puts requests and limits on every Argo CD component", async () => {
    await argo("gitops", { resources: { controller: { limits: { memory: "2Gi" } } } });
    const values = inputs("gitops-chart").values;
    const components = [
      "controller",
      "repoServer",
      "server",
      "redis",
      "applicationSet",
      "notifications",
      "dex",
    ];
    for (const c of [...components, "redisSecretInit"]) {
      const r = values[c]?.resources;
      assert.ok(
        r?.requests?.cpu && r.requests.memory && r.limits?.cpu && r.limits.memory,
        `${c}: ${JSON.stringify(r)}`,
      );
    }
    assert.deepStrictEqual(values.controller.resources, {
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "2Gi" },
    });
    assert.deepStrictEqual(values.server.resources, {
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    });
  });

  it("sets the admin password as the chart's bcrypt hash, in a values file of its own that is secret", async () => {
    const a = await argo("gitops");
    const release = mocks.named("gitops-chart");
    assert.deepStrictEqual(release.secretInputs, ["valueYamlFiles"]);
    // The mocks hand the asset back as an asset, whose text is a promise.
    const files = release.inputs.valueYamlFiles as pulumi.asset.StringAsset[];
    assert.strictEqual(files.length, 1);
    assert.deepStrictEqual(JSON.parse(await files[0].text), {
      configs: { secret: { argocdServerAdminPassword: fakeBcryptHash("gitops-admin-password") } },
    });
    assert.strictEqual((release.inputs.values as Record<string, unknown>).configs, undefined);
    assert.strictEqual(await isSecret(a.adminPassword), true);
    assert.match(await valueOf(a.adminPassword), /^password-gitops-admin-password-\d+$/);
    assert.deepStrictEqual(inputs("gitops-admin-password"), { length: 32, special: false });
  });

  it("makes an ED25519 deploy key: the private half in the repository Secret, the public half an output", async () => {
    const a = await argo("gitops");
    assert.deepStrictEqual(inputs("gitops-deploy-key"), { algorithm: "ED25519" });
    const secret = mocks.named("gitops-repository");
    assert.deepStrictEqual(secret.inputs.metadata, {
      name: "gitops-repository",
      namespace: "argocd",
      labels: { "argocd.argoproj.io/secret-type": "repository" },
    });
    assert.strictEqual(secret.inputs.type, "Opaque");
    const data = secret.inputs.stringData as Record<string, string>;
    assert.deepStrictEqual(Object.keys(data).sort(), ["sshPrivateKey", "type", "url"]);
    assert.strictEqual(data.type, "git");
    assert.strictEqual(data.url, REPO);
    assert.match(data.sshPrivateKey, /^-----BEGIN OPENSSH PRIVATE KEY-----\nkey-gitops-deploy-key-\d+\n/);
    assert.deepStrictEqual(secret.secretInputs, ["stringData"]);
    const publicKey = await valueOf(a.deployPublicKey);
    assert.match(publicKey, /^ssh-ed25519 AAAA\S+ gitops-deploy-key$/);
    assert.strictEqual(await isSecret(a.deployPublicKey), false);
  });

  it("keeps the admin password, its hash and the deploy key out of every input in clear text", async () => {
    const a = await argo("gitops");
    await assertNowhereInClear(await valueOf(a.adminPassword));
    await assertNowhereInClear(fakeBcryptHash("gitops-admin-password"));
    const key = (mocks.named("gitops-repository").inputs.stringData as Record<string, string>).sshPrivateKey;
    await assertNowhereInClear(key.split("\n")[1]);
  });

  it("creates the seed's app-of-apps root Application: overlay, automated prune and selfHeal, in-cluster", async () => {
    const a = await argo("gitops");
    assert.deepStrictEqual(inputs("gitops-root"), {
      apiVersion: "argoproj.io/v1alpha1",
      kind: "Application",
      metadata: { name: "infrastructure-root", namespace: "argocd" },
      spec: {
        project: "default",
        source: { repoURL: REPO, path: PATH, targetRevision: "HEAD" },
        destination: { server: "https://kubernetes.default.svc", namespace: "argocd" },
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
    });
    assert.strictEqual(await valueOf(a.rootApplicationName), "infrastructure-root");
  });

  it("creates the Application after the chart, the repository Secret and Sealed Secrets", async () => {
    await argo("gitops");
    assert.deepStrictEqual(await dependsOn("gitops-root"), [
      "gitops-chart",
      "gitops-repository",
      "gitops-sealed-secrets",
    ]);
    assert.deepStrictEqual(await dependsOn("gitops-chart"), ["gitops-namespace"]);
    assert.deepStrictEqual(await dependsOn("gitops-repository"), ["gitops-namespace"]);
  });

  it("installs Sealed Secrets in kube-system as the controller kubeseal's flags name", async () => {
    const a = await argo("gitops");
    const release = inputs("gitops-sealed-secrets");
    assert.strictEqual(release.name, "sealed-secrets");
    assert.strictEqual(release.chart, "sealed-secrets");
    assert.strictEqual(release.version, "2.18.5");
    assert.deepStrictEqual(release.repositoryOpts, { repo: "https://bitnami-labs.github.io/sealed-secrets" });
    assert.strictEqual(release.namespace, "kube-system");
    assert.deepStrictEqual(release.values, {
      fullnameOverride: "sealed-secrets",
      resources: { requests: { cpu: "25m", memory: "64Mi" }, limits: { cpu: "250m", memory: "128Mi" } },
      networkPolicy: { enabled: true },
      nodeSelector: { region: "no" },
    });
    assert.strictEqual(await valueOf(a.sealedSecretsController), "sealed-secrets");
  });

  it("leaves Sealed Secrets out when asked, and follows another revision under another name", async () => {
    await argo("gitops", {
      sealedSecrets: { enabled: false },
      targetRevision: "release-2026",
      rootApplicationName: "prod-root",
    });
    assert.strictEqual(mocks.ofType("kubernetes:helm.sh/v3:Release").length, 1);
    assert.strictEqual(inputs("gitops-root").spec.source.targetRevision, "release-2026");
    assert.strictEqual(inputs("gitops-root").metadata.name, "prod-root");
    assert.deepStrictEqual(await dependsOn("gitops-root"), ["gitops-chart", "gitops-repository"]);
  });

  it("trusts the host key of a self-hosted Git server given in knownHosts", async () => {
    const line =
      "[git.example.no]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
    await argo("gitops", { repoUrl: "ssh://git@git.example.no:2222/platform/infra.git", knownHosts: [line] });
    assert.deepStrictEqual(inputs("gitops-chart").values.configs.ssh, { extraHosts: line });
  });

  it("creates every Kubernetes object through the cluster's provider", async () => {
    await argo("gitops");
    const children = mocks.resources.filter((r) => r.type.startsWith("kubernetes:"));
    assert.strictEqual(children.length, 5);
    for (const r of children)
      assert.match(r.provider ?? "", /::pulumi:providers:kubernetes::k8s::k8s-id$/, r.name);
  });

  it("refuses to fall back to the ambient kubeconfig", () =>
    assert.throws(() => new ArgoBootstrap("gitops", { repoUrl: REPO, path: PATH }), {
      message:
        'ArgoBootstrap "gitops" has no Kubernetes provider: pass the cluster\'s provider as a resource option, ' +
        "{ providers: [cluster.provider] } or { provider: cluster.provider }, so that nothing lands in " +
        "whatever cluster the ambient kubeconfig points at",
    }));

  describe("bad input fails at preview, with the property and the fix", () => {
    const fails = (args: Partial<ArgoBootstrapArgs>, message: string) =>
      assert.throws(
        () => new ArgoBootstrap("bad", { repoUrl: REPO, path: PATH, ...args }, { providers: [provider()] }),
        { message },
      );

    it("an HTTPS repository URL, which a deploy key cannot use", () =>
      fails(
        { repoUrl: "https://github.com/org/infra-repo.git" },
        'repoUrl: "https://github.com/org/infra-repo.git" is not an SSH repository URL, which the deploy key needs; ' +
          'use one such as "git@github.com:org/infra-repo.git" or "ssh://git@git.example.no:2222/org/infra-repo.git"',
      ));
    it("a Git host Argo CD has no host key for", () =>
      fails(
        { repoUrl: "git@git.example.no:platform/infra.git" },
        "knownHosts: Argo CD does not know the SSH host key of git.example.no; add its line to knownHosts " +
          "(ssh-keyscan git.example.no, checked against what the Git host publishes)",
      ));
    it("an absolute overlay path", () =>
      fails(
        { path: "/applications/overlays/production" },
        'path: "/applications/overlays/production" is not a path in the repository; give the overlay\'s path ' +
          'relative to the repository root, e.g. "applications/overlays/production"',
      ));
    it("a limit typo on a component", () =>
      fails(
        { resources: { repoServer: { limits: { memory: "1G" } } } },
        'resources.repoServer.limits.memory: "1G" is 1 gigabyte (decimal); did you mean "1Gi"? ' +
          "Write 1000000000 if decimal gigabytes are meant",
      ));
    it("a request above the default limit", () =>
      fails(
        { resources: { dex: { requests: { cpu: "2" } } } },
        'resources.dex.requests.cpu: "2" is more than the limit "100m"; Kubernetes refuses a request above its limit',
      ));
    it("a component the chart does not have", () =>
      fails(
        { resources: { repoServr: { limits: { cpu: "1" } } } as ArgoBootstrapArgs["resources"] },
        "resources.repoServr: is not an Argo CD component; use controller, repoServer, server, redis, " +
          "applicationSet, notifications, dex, redisSecretInit",
      ));
    it("an Application name Kubernetes refuses", () =>
      fails(
        { rootApplicationName: "Infrastructure Root" },
        'rootApplicationName: "Infrastructure Root" is not a valid Application name; use at most 63 lower-case ' +
          'letters, digits and "-", starting and ending with a letter or digit (a DNS-1123 label), e.g. "infrastructure-root"',
      ));
    it("a Sealed Secrets chart that is not pinned", () =>
      fails(
        { sealedSecrets: { chart: { version: "latest" } } },
        'sealedSecrets.chart.version: "latest" is not an exact chart version; pin one such as "2.18.5"',
      ));
  });
});

describe("SSH repository URLs (pure)", () => {
  it("reads scp-like and ssh:// URLs, with the known_hosts name of the host", () => {
    assert.deepStrictEqual(parseSshRepository("git@github.com:org/infra-repo.git"), {
      host: "github.com",
      knownHostsName: "github.com",
    });
    assert.deepStrictEqual(parseSshRepository("ssh://git@git.example.no:2222/org/infra.git"), {
      host: "git.example.no",
      port: 2222,
      knownHostsName: "[git.example.no]:2222",
    });
    assert.strictEqual(
      parseSshRepository("ssh://git@git.example.no:22/org/infra.git")?.knownHostsName,
      "git.example.no",
    );
    assert.strictEqual(parseSshRepository("https://github.com/org/infra.git"), undefined);
    assert.strictEqual(parseSshRepository("github.com/org/infra.git"), undefined);
  });
});
