// Pure parts of ArgoBootstrap: the checks of its args, the resource defaults, the chart values,
// the repository Secret and the root Application, as data. No Pulumi here.
import { InputProblems } from "./errors";
import { checkKeys, expect } from "./validate";
import {
  ChartSource,
  HelmChartArgs,
  ResourceRequirements,
  checkDnsLabel,
  checkResourceRequirements,
  mergeResources,
  norwegianNodeSelector,
  resolveChart,
} from "./kubernetes";

/** The chart this package was tested with: `argo-cd` 10.1.1 (Argo CD v3.4.4, published 2026-07-02). */
export const ARGO_CD_CHART = {
  chart: "argo-cd",
  version: "10.1.1",
  repository: "https://argoproj.github.io/argo-helm",
} as const;

/** The chart this package was tested with: `sealed-secrets` 2.18.5 (controller 0.36.6, published 2026-04-09). */
export const SEALED_SECRETS_CHART = {
  chart: "sealed-secrets",
  version: "2.18.5",
  repository: "https://bitnami-labs.github.io/sealed-secrets",
} as const;

/** Argo CD's namespace, as the seed's Application and every Argo CD tool expect it. */
export const ARGO_NAMESPACE = "argocd";
/** Where the Sealed Secrets controller runs, and its name: `kubeseal --controller-name=sealed-secrets --controller-namespace=kube-system`. */
export const SEALED_SECRETS_NAMESPACE = "kube-system";
export const SEALED_SECRETS_NAME = "sealed-secrets";
/** The root Application's name when none is given: the seed's. */
export const DEFAULT_ROOT_APPLICATION = "infrastructure-root";
/** The repository Secret's name. */
export const REPOSITORY_SECRET = "gitops-repository";
/** The in-cluster API server, the root Application's destination. */
export const IN_CLUSTER = "https://kubernetes.default.svc";

/** The Argo CD components that run pods, by their key in the chart's values. */
export const ARGO_COMPONENTS = [
  "controller",
  "repoServer",
  "server",
  "redis",
  "applicationSet",
  "notifications",
  "dex",
  "redisSecretInit",
] as const;
export type ArgoComponent = (typeof ARGO_COMPONENTS)[number];

const r = (reqCpu: string, reqMem: string, limCpu: string, limMem: string): ResourceRequirements => ({
  requests: { cpu: reqCpu, memory: reqMem },
  limits: { cpu: limCpu, memory: limMem },
});

/**
 * Requests and limits of every component for a small cluster (a few dozen Applications). The
 * application controller and the repo server grow with the number of Applications and the size of
 * the Kustomize builds: raise theirs first.
 */
export const DEFAULT_ARGO_RESOURCES: Readonly<Record<ArgoComponent, ResourceRequirements>> = {
  controller: r("250m", "512Mi", "1", "1Gi"),
  repoServer: r("100m", "256Mi", "1", "1Gi"),
  server: r("50m", "128Mi", "500m", "256Mi"),
  redis: r("50m", "64Mi", "250m", "256Mi"),
  applicationSet: r("25m", "64Mi", "250m", "256Mi"),
  notifications: r("25m", "64Mi", "250m", "128Mi"),
  dex: r("10m", "64Mi", "100m", "128Mi"),
  redisSecretInit: r("10m", "32Mi", "100m", "64Mi"),
};

/** Requests and limits of the Sealed Secrets controller. */
export const DEFAULT_SEALED_SECRETS_RESOURCES: ResourceRequirements = r("25m", "64Mi", "250m", "128Mi");

/**
 * Host keys Argo CD trusts out of the box (the chart's `configs.ssh.knownHosts`): a repository on
 * any other host needs its line in `knownHosts`.
 */
export const ARGO_KNOWN_HOSTS = [
  "[ssh.github.com]:443",
  "bitbucket.org",
  "github.com",
  "gitlab.com",
  "ssh.dev.azure.com",
  "vs-ssh.visualstudio.com",
];

/** An SSH repository URL taken apart. */
export interface SshRepository {
  readonly host: string;
  readonly port?: number;
  /** How the host appears in known_hosts: `host`, or `[host]:port` off port 22. */
  readonly knownHostsName: string;
}

/** `git@github.com:org/repo.git` and `ssh://git@git.example.no:2222/org/repo.git`; undefined otherwise. */
export function parseSshRepository(url: string): SshRepository | undefined {
  const scp = /^[A-Za-z0-9._-]+@([A-Za-z0-9.-]+):(?!\/\/)[^\s]+$/.exec(url);
  const ssh = /^ssh:\/\/(?:[A-Za-z0-9._-]+@)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?\/[^\s]+$/.exec(
    url,
  );
  const m = scp ?? ssh;
  if (!m) return undefined;
  const host = m[1].toLowerCase();
  const port = ssh && m[2] ? Number(m[2]) : undefined;
  return {
    host,
    ...(port === undefined ? {} : { port }),
    knownHostsName: port === undefined || port === 22 ? host : `[${host}]:${port}`,
  };
}

const KNOWN_HOSTS_LINE =
  /^(@\S+\s+)?(\S+)\s+(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-\S+)\s+[A-Za-z0-9+/]+={0,3}(\s.*)?$/;

/** What ArgoBootstrap's args resolve to. */
export interface ArgoSettings {
  readonly rootApplicationName: string;
  readonly targetRevision: string;
  readonly resources: Readonly<Record<ArgoComponent, ResourceRequirements>>;
  readonly knownHosts: readonly string[];
  readonly sealedSecrets: boolean;
  readonly sealedSecretsResources: ResourceRequirements;
}

/** Checks the args and fills in the defaults. */
export function checkArgo(
  problems: InputProblems,
  args: {
    readonly repoUrl: string;
    readonly path: string;
    readonly targetRevision?: string;
    readonly rootApplicationName?: string;
    readonly knownHosts?: readonly string[];
    readonly resources?: Partial<Record<ArgoComponent, ResourceRequirements>>;
    readonly sealedSecrets?: { readonly enabled?: boolean; readonly resources?: ResourceRequirements };
  },
): ArgoSettings {
  const repo = typeof args.repoUrl === "string" ? parseSshRepository(args.repoUrl) : undefined;
  problems.check(
    repo !== undefined,
    "repoUrl",
    `${JSON.stringify(args.repoUrl)} is not an SSH repository URL, which the deploy key needs; use one such as ` +
      '"git@github.com:org/infra-repo.git" or "ssh://git@git.example.no:2222/org/infra-repo.git"',
  );
  const path = args.path;
  problems.check(
    typeof path === "string" &&
      path.trim() !== "" &&
      !path.startsWith("/") &&
      !path.split("/").includes("..") &&
      !/\s/.test(path),
    "path",
    `${JSON.stringify(path)} is not a path in the repository; give the overlay's path relative to the ` +
      'repository root, e.g. "applications/overlays/production"',
  );
  const targetRevision = args.targetRevision ?? "HEAD";
  problems.check(
    /^[^\s~^:?*[\\]+$/.test(targetRevision),
    "targetRevision",
    `${JSON.stringify(targetRevision)} is not a Git revision; use a branch, a tag, a commit or "HEAD"`,
  );
  const rootApplicationName = args.rootApplicationName ?? DEFAULT_ROOT_APPLICATION;
  checkDnsLabel(problems, rootApplicationName, "rootApplicationName", "Application name");

  const knownHosts = (args.knownHosts ?? []).map((l) => l.trim());
  knownHosts.forEach((line, i) =>
    problems.check(
      KNOWN_HOSTS_LINE.test(line),
      `knownHosts[${i}]`,
      `${JSON.stringify(line)} is not a known_hosts line; use "<host> <key type> <key>", as ssh-keyscan prints it`,
    ),
  );
  if (repo) {
    const names = new Set([
      ...ARGO_KNOWN_HOSTS,
      ...knownHosts.flatMap((l) => (KNOWN_HOSTS_LINE.exec(l)?.[2] ?? "").toLowerCase().split(",")),
    ]);
    problems.check(
      names.has(repo.knownHostsName),
      "knownHosts",
      `Argo CD does not know the SSH host key of ${repo.knownHostsName}; add its line to knownHosts ` +
        `(ssh-keyscan ${repo.port && repo.port !== 22 ? `-p ${repo.port} ` : ""}${repo.host}, checked against what the Git host publishes)`,
    );
  }

  for (const component of Object.keys(args.resources ?? {})) {
    problems.check(
      (ARGO_COMPONENTS as readonly string[]).includes(component),
      `resources.${component}`,
      `is not an Argo CD component; use ${ARGO_COMPONENTS.join(", ")}`,
    );
  }
  const resources = Object.fromEntries(
    ARGO_COMPONENTS.map((c) => {
      const merged = mergeResources(DEFAULT_ARGO_RESOURCES[c], args.resources?.[c]);
      checkResourceRequirements(problems, merged, `resources.${c}`);
      return [c, merged];
    }),
  ) as Record<ArgoComponent, ResourceRequirements>;
  const sealedSecretsResources = mergeResources(
    DEFAULT_SEALED_SECRETS_RESOURCES,
    args.sealedSecrets?.resources,
  );
  checkResourceRequirements(problems, sealedSecretsResources, "sealedSecrets.resources");

  return {
    rootApplicationName,
    targetRevision,
    resources,
    knownHosts,
    sealedSecrets: args.sealedSecrets?.enabled ?? true,
    sealedSecretsResources,
  };
}

/** Every setting of ArgoBootstrapArgs: anything else is a typo to name. */
export const ARGO_BOOTSTRAP_KEYS = [
  "repoUrl",
  "path",
  "targetRevision",
  "rootApplicationName",
  "knownHosts",
  "chart",
  "resources",
  "sealedSecrets",
];

const SEALED_SECRETS_KEYS = ["enabled", "chart", "resources"];

/** ArgoBootstrap's args, checked: the two charts and what the settings resolve to. */
export interface ArgoPlan {
  readonly chart: ChartSource;
  readonly sealedSecretsChart: ChartSource;
  readonly settings: ArgoSettings;
}

/**
 * Checks ArgoBootstrap's args as plain values: unknown keys, both chart pins, then `checkArgo`.
 * The component checks its args with it, and the stack program its `fortress:argo` before it
 * registers any node.
 */
export function checkArgoArgs(problems: InputProblems, raw: unknown): ArgoPlan {
  const args = checkKeys(problems, raw, ARGO_BOOTSTRAP_KEYS, "", "ArgoBootstrap") ? raw : {};
  // Values of the wrong type are reported with their path, and kept from the checks below.
  const hosts = args.knownHosts;
  const knownHosts = expect.list(problems, hosts, "knownHosts", "known_hosts lines")
    ? hosts.filter((l, i): l is string =>
        expect.string(problems, l, `knownHosts[${i}]`, '"git.example.no ssh-ed25519 AAAA..."'),
      )
    : undefined;
  const resources = expect.map(problems, args.resources, "resources", "Argo CD components")
    ? args.resources
    : undefined;
  const sealed =
    args.sealedSecrets !== undefined &&
    checkKeys(problems, args.sealedSecrets, SEALED_SECRETS_KEYS, "sealedSecrets", "sealedSecrets")
      ? args.sealedSecrets
      : {};
  const enabled = expect.boolean(problems, sealed.enabled, "sealedSecrets.enabled")
    ? sealed.enabled
    : undefined;
  return {
    chart: resolveChart(problems, ARGO_CD_CHART.chart, ARGO_CD_CHART, args.chart as HelmChartArgs, "chart"),
    sealedSecretsChart: resolveChart(
      problems,
      SEALED_SECRETS_CHART.chart,
      SEALED_SECRETS_CHART,
      sealed.chart as HelmChartArgs | undefined,
      "sealedSecrets.chart",
    ),
    settings: checkArgo(problems, {
      ...(args as unknown as Parameters<typeof checkArgo>[1]),
      knownHosts,
      resources: resources,
      sealedSecrets: {
        enabled,
        resources: sealed.resources as ResourceRequirements | undefined,
      },
    }),
  };
}

/**
 * The argo-cd chart values: requests and limits on every component, the chart's NetworkPolicies
 * with its default-deny for ingress, and every pod on Norwegian nodes. Nothing secret: they stay
 * readable in previews and diffs.
 */
export function argoValues(s: ArgoSettings): Record<string, unknown> {
  const components = Object.fromEntries(ARGO_COMPONENTS.map((c) => [c, { resources: s.resources[c] }]));
  return {
    global: {
      // Each component's policy admits only its clients; the default-deny closes what no policy
      // selects (the ApplicationSet controller, the Redis init Job).
      networkPolicy: { create: true, defaultDenyIngress: true },
      nodeSelector: { "kubernetes.io/os": "linux", ...norwegianNodeSelector() },
    },
    ...(s.knownHosts.length > 0 ? { configs: { ssh: { extraHosts: s.knownHosts.join("\n") } } } : {}),
    ...components,
  };
}

/**
 * The secret values file, merged by Helm with `argoValues`: the admin password as the bcrypt hash
 * the chart expects in `configs.secret.argocdServerAdminPassword` (JSON, which is YAML). Kept apart
 * so that only this file is secret, not every value.
 */
export function argoSecretValues(adminPasswordHash: string): string {
  return JSON.stringify({ configs: { secret: { argocdServerAdminPassword: adminPasswordHash } } });
}

/** The sealed-secrets chart values: the controller named as kubeseal's flags expect, on Norwegian nodes. */
export function sealedSecretsValues(s: ArgoSettings): Record<string, unknown> {
  return {
    fullnameOverride: SEALED_SECRETS_NAME,
    resources: s.sealedSecretsResources,
    // Ingress only to its HTTP and metrics ports.
    networkPolicy: { enabled: true },
    // It holds the key that opens every SealedSecret: Fortress nodes only.
    nodeSelector: norwegianNodeSelector(),
  };
}

/** The repository Secret Argo CD reads (`argocd.argoproj.io/secret-type: repository`). */
export function repositorySecretData(url: string, sshPrivateKey: string): { [key: string]: string } {
  return { type: "git", url, sshPrivateKey };
}

/** The metadata of the repository Secret. */
export function repositorySecretMetadata(): {
  name: string;
  namespace: string;
  labels: { [key: string]: string };
} {
  return {
    name: REPOSITORY_SECRET,
    namespace: ARGO_NAMESPACE,
    labels: { "argocd.argoproj.io/secret-type": "repository" },
  };
}

/** The root Application as the API takes it. */
export interface ApplicationObject {
  readonly apiVersion: "argoproj.io/v1alpha1";
  readonly kind: "Application";
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: {
    readonly project: string;
    readonly source: { readonly repoURL: string; readonly path: string; readonly targetRevision: string };
    readonly destination: { readonly server: string; readonly namespace: string };
    readonly syncPolicy: { readonly automated: { readonly prune: boolean; readonly selfHeal: boolean } };
  };
}

/**
 * The app-of-apps root, as in the seed: the environment's overlay, synced automatically, pruning
 * what Git no longer has and undoing changes made by hand. No finalizer: deleting it (a destroy, a
 * rename) leaves the applications it made running.
 */
export function rootApplication(s: ArgoSettings, repoUrl: string, path: string): ApplicationObject {
  return {
    apiVersion: "argoproj.io/v1alpha1",
    kind: "Application",
    metadata: { name: s.rootApplicationName, namespace: ARGO_NAMESPACE },
    spec: {
      project: "default",
      source: { repoURL: repoUrl, path: path.replace(/\/+$/, ""), targetRevision: s.targetRevision },
      destination: { server: IN_CLUSTER, namespace: ARGO_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  };
}
