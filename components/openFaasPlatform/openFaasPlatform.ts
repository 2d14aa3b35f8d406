import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { InputProblems } from "../../sdk/errors";
import { openFaasPlatformResidency } from "../../sdk/residency";
import { checkComponentName } from "../../sdk/validate";
import {
  HelmChartArgs,
  ResourceAmounts,
  missingProviderMessage,
  norwegianNamespace,
} from "../../sdk/kubernetes";
import {
  FUNCTION_NAMESPACE,
  GATEWAY_URL,
  GATEWAY_USER,
  OPENFAAS_NAMESPACE,
  checkOpenFaasArgs,
  functionObject,
  openFaasValues,
} from "../../sdk/openfaas";

// The shared argument types, for programs that spell them out.
export type { HelmChartArgs, ResourceAmounts, ResourceRequirements } from "../../sdk/kubernetes";

/** A function's scaling labels (`com.openfaas.scale.*`). Leave them out for OpenFaaS's defaults (1 to 20). */
export interface FunctionScaleArgs {
  /** Replicas kept running: 1 or more; `1` keeps a hot path warm (the seed's advice). */
  readonly min?: number;
  /** Most replicas the autoscaler may run; at least `min`. */
  readonly max?: number;
  /** Let an idle function scale to zero (background work). */
  readonly zero?: boolean;
}

/**
 * The function watchdog's timeouts, as Go durations (`"10s"`, `"1m30s"`). Each must be no longer
 * than the platform's `gatewayTimeout`, or the gateway would cut the call off first.
 */
export interface FunctionTimeoutsArgs {
  /** `read_timeout`: reading the request. */
  readonly read?: string;
  /** `write_timeout`: writing the response. */
  readonly write?: string;
  /** `exec_timeout`: running the handler. */
  readonly exec?: string;
}

/**
 * One function, as in a `stack.yml`. Changing anything updates the Function resource in place and
 * the operator rolls its pods; renaming it replaces it.
 *
 * A function that handles personal data needs nothing extra: its pods can only run on Norwegian
 * nodes (`region=no`), because the function namespace carries the `PodNodeSelector` annotation and
 * every Function asks for the same nodes in `constraints`.
 */
export interface OpenFaasFunctionArgs {
  /** The function's name (a DNS-1123 label, e.g. `gdpr-handler`): its URL path and its Deployment's name. */
  readonly name: string;
  /** The image, e.g. `registry.example.no/gdpr-handler:1.4.2`; its registry must be in `allowedRegistries`. */
  readonly image: string;
  /** Scaling labels. */
  readonly scale?: FunctionScaleArgs;
  /** The most CPU and memory the function may use (`{ memory: "128Mi", cpu: "100m" }`). */
  readonly limits?: ResourceAmounts;
  /** What the scheduler reserves; no more than `limits`. */
  readonly requests?: ResourceAmounts;
  /**
   * Environment variables (`{ write_debug: "true" }`). Timeouts go in `timeouts`. Values end up in
   * the Function resource in clear text: give credentials through `secrets`.
   */
  readonly environment?: { [name: string]: pulumi.Input<string> };
  /** The watchdog's timeouts. */
  readonly timeouts?: FunctionTimeoutsArgs;
  /** Extra labels on the function's pods (scaling labels come from `scale`). */
  readonly labels?: { [key: string]: string };
  /** Names of Secrets in the function namespace, mounted under `/var/openfaas/secrets/` (e.g. from Sealed Secrets). */
  readonly secrets?: string[];
}

export interface OpenFaasPlatformArgs {
  /** The `openfaas` chart to install. Default: version 15.0.6 from https://openfaas.github.io/faas-netes. */
  readonly chart?: HelmChartArgs;
  /**
   * An OpenFaaS Standard or Enterprise license key (a secret; kept secret either way). With it the
   * chart runs in operator mode and `functions` are deployed as Function resources; without it
   * OpenFaaS Community Edition is installed with no functions of ours (its EULA allows personal use
   * and a 60-day commercial trial). Adding or removing it upgrades the release.
   */
  readonly license?: pulumi.Input<string>;
  /** Functions to deploy (needs `license`). */
  readonly functions?: OpenFaasFunctionArgs[];
  /**
   * Registries functions may pull from: a host (`registry.example.no`, `localhost:5000`) or a host
   * and path prefix (`ghcr.io/my-org`). An image from anywhere else fails at preview. Default: no
   * restriction.
   */
  readonly allowedRegistries?: string[];
  /**
   * The gateway's upstream timeout, a Go duration. Default `1m`, the chart's own; its read and
   * write timeouts are 5 s longer. No function timeout may exceed it.
   */
  readonly gatewayTimeout?: string;
}

export { OPENFAAS_PLATFORM_KEYS } from "../../sdk/openfaas";

/**
 * OpenFaaS on the cluster from its Helm chart, with generated gateway credentials and the functions
 * a `stack.yml` would declare, kept on Norwegian nodes.
 *
 * Pass the cluster's Kubernetes provider as a resource option (`{ providers: [cluster.provider] }`).
 * Both namespaces (`openfaas` and `openfaas-fn`) carry the `PodNodeSelector` annotation
 * `region=no`, which the API server enforces on every pod (OpenFaaS CE ignores per-function
 * constraints), and the chart's own pods get the same node selector: the gateway and the queue see
 * every request body.
 */
export class OpenFaasPlatform extends pulumi.ComponentResource {
  /** The gateway's user: `admin`. */
  public readonly gatewayUser: pulumi.Output<string>;
  /** The gateway's password (secret), from a RandomPassword kept in state. */
  public readonly gatewayPassword: pulumi.Output<string>;
  /** The gateway's in-cluster URL. */
  public readonly gatewayUrl: pulumi.Output<string>;
  /** The namespace of the gateway and the chart's other pods: `openfaas`. */
  public readonly namespace: pulumi.Output<string>;
  /** The namespace of the functions: `openfaas-fn`. */
  public readonly functionNamespace: pulumi.Output<string>;
  /** The names of the functions deployed. */
  public readonly functionNames: pulumi.Output<string[]>;
  /** The chart version installed. */
  public readonly chartVersion: pulumi.Output<string>;

  constructor(name: string, args: OpenFaasPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    // The args become the component's inputs in state: the license goes there as a secret.
    super(
      "fortress:index:OpenFaasPlatform",
      name,
      { ...args, ...(args?.license === undefined ? {} : { license: pulumi.secret(args.license) }) },
      opts,
    );

    const problems = new InputProblems();
    checkComponentName(problems, name, "OpenFaasPlatform");
    const { chart, settings } = checkOpenFaasArgs(problems, args, args?.license !== undefined);
    problems.throwIfAny(`OpenFaasPlatform "${name}"`);
    if (!this.getProvider("kubernetes::Provider")) {
      throw new pulumi.ResourceError(missingProviderMessage(`OpenFaasPlatform "${name}"`), this);
    }

    const namespace = new k8s.core.v1.Namespace(
      `${name}-namespace`,
      norwegianNamespace(OPENFAAS_NAMESPACE, { role: "openfaas-system", access: "openfaas-system" }),
      { parent: this },
    );
    const functionNamespace = new k8s.core.v1.Namespace(
      `${name}-function-namespace`,
      norwegianNamespace(FUNCTION_NAMESPACE, { role: "openfaas-fn" }),
      { parent: this },
    );
    const password = new random.RandomPassword(
      `${name}-gateway-password`,
      { length: 32, special: false },
      { parent: this },
    );
    this.gatewayPassword = pulumi.secret(password.result);
    const basicAuth = new k8s.core.v1.Secret(
      `${name}-basic-auth`,
      {
        metadata: { name: "basic-auth", namespace: OPENFAAS_NAMESPACE },
        type: "Opaque",
        stringData: pulumi.secret(
          this.gatewayPassword.apply((p) => ({ "basic-auth-user": GATEWAY_USER, "basic-auth-password": p })),
        ),
      },
      { parent: this, dependsOn: [namespace] },
    );
    const before: pulumi.Resource[] = [namespace, functionNamespace, basicAuth];
    if (args.license !== undefined) {
      // The operator reads /var/secrets/license/license from this Secret.
      before.push(
        new k8s.core.v1.Secret(
          `${name}-license`,
          {
            metadata: { name: "openfaas-license", namespace: OPENFAAS_NAMESPACE },
            type: "Opaque",
            stringData: pulumi.secret(pulumi.output(args.license).apply((l) => ({ license: l.trim() }))),
          },
          { parent: this, dependsOn: [namespace] },
        ),
      );
    }
    const release = new k8s.helm.v3.Release(
      `${name}-chart`,
      {
        name: "openfaas",
        chart: chart.chart,
        version: chart.version,
        ...(chart.repository ? { repositoryOpts: { repo: chart.repository } } : {}),
        namespace: OPENFAAS_NAMESPACE,
        createNamespace: false,
        values: openFaasValues(settings),
      },
      { parent: this, dependsOn: before },
    );
    // The Function CRD comes with the release; each function waits for it.
    for (const fn of args.functions ?? []) {
      new k8s.apiextensions.CustomResource(`${name}-fn-${fn.name}`, functionObject(fn), {
        parent: this,
        dependsOn: [release],
      });
    }

    this.gatewayUser = pulumi.output(GATEWAY_USER);
    this.gatewayUrl = pulumi.output(GATEWAY_URL);
    this.namespace = namespace.metadata.name;
    this.functionNamespace = functionNamespace.metadata.name;
    const functionNames = (args.functions ?? []).map((f) => f.name);
    this.functionNames = pulumi.output(functionNames);
    this.chartVersion = pulumi.output(chart.version);
    this.registerOutputs({
      gatewayUser: this.gatewayUser,
      gatewayPassword: this.gatewayPassword,
      gatewayUrl: this.gatewayUrl,
      namespace: this.namespace,
      functionNamespace: this.functionNamespace,
      functionNames: this.functionNames,
      chartVersion: this.chartVersion,
      // For the policy pack: under the real engine a stack policy sees a component's outputs only.
      residency: openFaasPlatformResidency(name, functionNames),
    });
  }
}
