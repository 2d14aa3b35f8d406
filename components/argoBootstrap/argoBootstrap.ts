import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { InputProblems } from "../../sdk/errors";
import { argoBootstrapResidency } from "../../sdk/residency";
import { checkComponentName } from "../../sdk/validate";
import {
  HelmChartArgs,
  ResourceRequirements,
  missingProviderMessage,
  norwegianNamespace,
} from "../../sdk/kubernetes";
import {
  ARGO_NAMESPACE,
  SEALED_SECRETS_NAME,
  SEALED_SECRETS_NAMESPACE,
  argoSecretValues,
  argoValues,
  checkArgoArgs,
  repositorySecretData,
  repositorySecretMetadata,
  rootApplication,
  sealedSecretsValues,
} from "../../sdk/argo";

/**
 * Requests and limits per Argo CD component, over the defaults (sized for a few dozen
 * Applications). Give only what you change: `{ controller: { limits: { memory: "2Gi" } } }`.
 * Changing them upgrades the release, which restarts that component.
 */
export interface ArgoResourcesArgs {
  /** The application controller (default: requests 250m/512Mi, limits 1/1Gi). */
  readonly controller?: ResourceRequirements;
  /** The repo server, which runs the Kustomize builds (default: requests 100m/256Mi, limits 1/1Gi). */
  readonly repoServer?: ResourceRequirements;
  /** The API server and UI (default: requests 50m/128Mi, limits 500m/256Mi). */
  readonly server?: ResourceRequirements;
  /** The Redis cache (default: requests 50m/64Mi, limits 250m/256Mi). */
  readonly redis?: ResourceRequirements;
  /** The ApplicationSet controller (default: requests 25m/64Mi, limits 250m/256Mi). */
  readonly applicationSet?: ResourceRequirements;
  /** The notifications controller (default: requests 25m/64Mi, limits 250m/128Mi). */
  readonly notifications?: ResourceRequirements;
  /** Dex, for single sign-on (default: requests 10m/64Mi, limits 100m/128Mi). */
  readonly dex?: ResourceRequirements;
  /** The Job that makes the Redis password at install (default: requests 10m/32Mi, limits 100m/64Mi). */
  readonly redisSecretInit?: ResourceRequirements;
}

/** The Sealed Secrets controller, so that secrets reach Git only sealed. */
export interface SealedSecretsArgs {
  /** Install it. Default true. Turning it off uninstalls it: keep a backup of its key first. */
  readonly enabled?: boolean;
  /** The `sealed-secrets` chart. Default: version 2.18.5 from https://bitnami-labs.github.io/sealed-secrets. */
  readonly chart?: HelmChartArgs;
  /** Requests and limits of the controller (default: requests 25m/64Mi, limits 250m/128Mi). */
  readonly resources?: ResourceRequirements;
}

export interface ArgoBootstrapArgs {
  /**
   * The GitOps repository, an SSH URL (`git@github.com:org/infra-repo.git`): the deploy key only
   * works over SSH. Register `deployPublicKey` on the Git host as a read-only deploy key.
   */
  readonly repoUrl: string;
  /** The environment's Kustomize overlay in the repository, e.g. `applications/overlays/production`. */
  readonly path: string;
  /** The branch, tag or commit to follow. Default `HEAD`. */
  readonly targetRevision?: string;
  /** The root Application's name. Default `infrastructure-root`. Changing it replaces the Application. */
  readonly rootApplicationName?: string;
  /**
   * known_hosts lines for a Git host Argo CD does not know (it knows GitHub, GitLab.com, Bitbucket
   * and Azure DevOps), e.g. a self-hosted GitLab in Norway: what `ssh-keyscan git.example.no` prints.
   */
  readonly knownHosts?: string[];
  /** The `argo-cd` chart. Default: version 10.1.1 from https://argoproj.github.io/argo-helm. */
  readonly chart?: HelmChartArgs;
  /** Requests and limits per component, over the defaults. */
  readonly resources?: ArgoResourcesArgs;
  /** The Sealed Secrets controller (on by default). */
  readonly sealedSecrets?: SealedSecretsArgs;
}

export { ARGO_BOOTSTRAP_KEYS } from "../../sdk/argo";

/**
 * Argo CD from its chart, hardened for a bank or a healthcare provider (requests and limits on
 * every component, NetworkPolicies with a default-deny for ingress, every pod on Norwegian nodes),
 * the app-of-apps root Application with automated prune and selfHeal, a deploy key for the GitOps
 * repository, and the Sealed Secrets controller.
 *
 * Pass the cluster's Kubernetes provider as a resource option (`{ providers: [cluster.provider] }`).
 * The `argocd` namespace carries the `PodNodeSelector` annotation `region=no`: Argo CD holds the
 * repository key and cluster-admin rights, and stays in the Fortress like the control plane.
 */
export class ArgoBootstrap extends pulumi.ComponentResource {
  /** The `admin` user's password (secret). */
  public readonly adminPassword: pulumi.Output<string>;
  /** The deploy key's public half (`ssh-ed25519 ...`), to register on the Git host. */
  public readonly deployPublicKey: pulumi.Output<string>;
  /** The root Application's name. */
  public readonly rootApplicationName: pulumi.Output<string>;
  /** Argo CD's namespace: `argocd`. */
  public readonly namespace: pulumi.Output<string>;
  /** `kubeseal --controller-name`, empty without Sealed Secrets. */
  public readonly sealedSecretsController: pulumi.Output<string>;

  constructor(name: string, args: ArgoBootstrapArgs, opts?: pulumi.ComponentResourceOptions) {
    super("fortress:index:ArgoBootstrap", name, args, opts);

    const problems = new InputProblems();
    checkComponentName(problems, name, "ArgoBootstrap");
    const { chart, sealedSecretsChart: sealedChart, settings } = checkArgoArgs(problems, args);
    problems.throwIfAny(`ArgoBootstrap "${name}"`);
    if (!this.getProvider("kubernetes::Provider")) {
      throw new pulumi.ResourceError(missingProviderMessage(`ArgoBootstrap "${name}"`), this);
    }

    const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, norwegianNamespace(ARGO_NAMESPACE), {
      parent: this,
    });
    const password = new random.RandomPassword(
      `${name}-admin-password`,
      { length: 32, special: false },
      { parent: this },
    );
    this.adminPassword = pulumi.secret(password.result);
    const deployKey = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, { parent: this });
    const repository = new k8s.core.v1.Secret(
      `${name}-repository`,
      {
        metadata: repositorySecretMetadata(),
        type: "Opaque",
        stringData: pulumi.secret(
          deployKey.privateKeyOpenssh.apply((key) => repositorySecretData(args.repoUrl, key)),
        ),
      },
      { parent: this, dependsOn: [namespace] },
    );
    const release = new k8s.helm.v3.Release(
      `${name}-chart`,
      {
        name: "argocd",
        chart: chart.chart,
        version: chart.version,
        ...(chart.repository ? { repositoryOpts: { repo: chart.repository } } : {}),
        namespace: ARGO_NAMESPACE,
        createNamespace: false,
        values: argoValues(settings),
        // Only the admin password's hash is secret; the values above stay readable in diffs.
        valueYamlFiles: [
          pulumi.secret(password.bcryptHash.apply((h) => new pulumi.asset.StringAsset(argoSecretValues(h)))),
        ],
      },
      { parent: this, dependsOn: [namespace] },
    );
    const before: pulumi.Resource[] = [release, repository];
    if (settings.sealedSecrets) {
      before.push(
        new k8s.helm.v3.Release(
          `${name}-sealed-secrets`,
          {
            name: SEALED_SECRETS_NAME,
            chart: sealedChart.chart,
            version: sealedChart.version,
            ...(sealedChart.repository ? { repositoryOpts: { repo: sealedChart.repository } } : {}),
            namespace: SEALED_SECRETS_NAMESPACE,
            createNamespace: false,
            values: sealedSecretsValues(settings),
          },
          { parent: this },
        ),
      );
    }
    // After the chart (its CRDs), the repository's key and the controller that opens the
    // repository's SealedSecrets.
    new k8s.apiextensions.CustomResource(`${name}-root`, rootApplication(settings, args.repoUrl, args.path), {
      parent: this,
      dependsOn: before,
    });

    this.deployPublicKey = deployKey.publicKeyOpenssh.apply((k) => k.trim());
    this.rootApplicationName = pulumi.output(settings.rootApplicationName);
    this.namespace = namespace.metadata.name;
    this.sealedSecretsController = pulumi.output(settings.sealedSecrets ? SEALED_SECRETS_NAME : "");
    this.registerOutputs({
      adminPassword: this.adminPassword,
      deployPublicKey: this.deployPublicKey,
      rootApplicationName: this.rootApplicationName,
      namespace: this.namespace,
      sealedSecretsController: this.sealedSecretsController,
      // For the policy pack: under the real engine a stack policy sees a component's outputs only.
      residency: argoBootstrapResidency(name, args.repoUrl, args.path, settings),
    });
  }
}
