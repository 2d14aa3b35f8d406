// Pure parts of OpenFaasPlatform: the checks of its functions, the chart values and the Function
// custom resources, as data. No Pulumi here.
import { InputProblems } from "./errors";
import { checkKeys, checkPinnedImage, expect } from "./validate";
import {
  ChartSource,
  HelmChartArgs,
  ResourceAmounts,
  checkDnsLabel,
  checkDuration,
  checkEnvName,
  checkImage,
  checkLabel,
  checkRegistryEntry,
  checkResourceRequirements,
  formatDuration,
  imageRegistry,
  isDnsSubdomain,
  norwegianNodeSelector,
  parseDuration,
  registryAllows,
  resolveChart,
} from "./kubernetes";

/** The chart this package was tested with: `openfaas` 15.0.6 from faas-netes (published 2026-05-13). */
export const OPENFAAS_CHART = {
  chart: "openfaas",
  version: "15.0.6",
  repository: "https://openfaas.github.io/faas-netes",
} as const;

/** The namespace of the gateway, Prometheus, NATS and the operator (the chart's release namespace). */
export const OPENFAAS_NAMESPACE = "openfaas";
/** The namespace of the functions (the chart's `functionNamespace`). */
export const FUNCTION_NAMESPACE = "openfaas-fn";
/** The gateway's user: the chart always reads `basic-auth-user` from the `basic-auth` Secret. */
export const GATEWAY_USER = "admin";
/** The in-cluster address of the gateway (the chart's `gateway` Service). */
export const GATEWAY_URL = `http://gateway.${OPENFAAS_NAMESPACE}.svc.cluster.local:8080`;
/** The gateway's upstream timeout when `gatewayTimeout` is not given: the chart's own default. */
export const DEFAULT_GATEWAY_TIMEOUT = "1m";

/** The scaling labels of a function. Leave them out for OpenFaaS's defaults (1 to 20 replicas). */
export interface FunctionScaleInput {
  readonly min?: number;
  readonly max?: number;
  readonly zero?: boolean;
}

/** Timeouts of the function's watchdog, as Go durations. */
export interface FunctionTimeoutsInput {
  readonly read?: string;
  readonly write?: string;
  readonly exec?: string;
}

/** A function as the component takes it; environment values may be anything (Pulumi inputs). */
export interface FunctionInput<Env> {
  readonly name: string;
  readonly image: string;
  readonly scale?: FunctionScaleInput;
  readonly limits?: ResourceAmounts;
  readonly requests?: ResourceAmounts;
  readonly environment?: { [name: string]: Env };
  readonly timeouts?: FunctionTimeoutsInput;
  readonly labels?: { [key: string]: string };
  readonly secrets?: string[];
}

/** What the platform's settings resolve to. */
export interface PlatformSettings {
  /** OpenFaaS Standard/Enterprise (a license is given): operator mode and Function resources. */
  readonly pro: boolean;
  /** The gateway's upstream timeout, a Go duration. */
  readonly gatewayTimeout: string;
}

/** Every setting of a function: anything else is a typo to name. */
export const OPENFAAS_FUNCTION_KEYS = [
  "name",
  "image",
  "scale",
  "limits",
  "requests",
  "environment",
  "timeouts",
  "labels",
  "secrets",
];

/** Every setting of OpenFaasPlatformArgs: anything else is a typo to name. */
export const OPENFAAS_PLATFORM_KEYS = [
  "chart",
  "license",
  "functions",
  "allowedRegistries",
  "gatewayTimeout",
];

/** OpenFaasPlatform's args, checked: the chart to install and what the settings resolve to. */
export interface OpenFaasPlan {
  readonly chart: ChartSource;
  readonly settings: PlatformSettings;
}

/**
 * Checks OpenFaasPlatform's args as plain values: unknown keys, values of the wrong type (kept
 * from the checks after them), the chart pin, then `checkPlatform`. `licensed` says whether a
 * license is given (its value is a secret and is not looked at). The component checks its args
 * with it, and the stack program its `fortress:openfaas` before it registers any node.
 */
export function checkOpenFaasArgs(problems: InputProblems, raw: unknown, licensed: boolean): OpenFaasPlan {
  const args = checkKeys(problems, raw, OPENFAAS_PLATFORM_KEYS, "", "OpenFaasPlatform") ? raw : {};
  const chart = resolveChart(
    problems,
    OPENFAAS_CHART.chart,
    OPENFAAS_CHART,
    args.chart as HelmChartArgs | undefined,
    "chart",
  );
  const fns = args.functions;
  const functions = expect.list(problems, fns, "functions", "functions")
    ? (fns.filter((f, i) =>
        checkKeys(problems, f, OPENFAAS_FUNCTION_KEYS, `functions[${i}]`, "function"),
      ) as unknown as FunctionInput<unknown>[])
    : undefined;
  const regs = args.allowedRegistries;
  const allowedRegistries = expect.list(problems, regs, "allowedRegistries", "registries")
    ? regs.filter((r, i): r is string =>
        expect.string(problems, r, `allowedRegistries[${i}]`, '"registry.example.no"'),
      )
    : undefined;
  const timeout = args.gatewayTimeout;
  const settings = checkPlatform(problems, {
    functions,
    allowedRegistries,
    gatewayTimeout: expect.string(problems, timeout, "gatewayTimeout", '"1m"') ? timeout : undefined,
    licensed,
  });
  return { chart, settings };
}

const SCALE_LABEL_PREFIX = "com.openfaas.scale.";
const TIMEOUT_ENV: Readonly<Record<keyof FunctionTimeoutsInput, string>> = {
  read: "read_timeout",
  write: "write_timeout",
  exec: "exec_timeout",
};

/**
 * Checks the platform's args: the gateway timeout, the allowed registries and every function
 * (name, image and its registry, scaling, resources, environment, timeouts, labels, secrets).
 */
export function checkPlatform<Env>(
  problems: InputProblems,
  args: {
    readonly functions?: readonly FunctionInput<Env>[];
    readonly allowedRegistries?: readonly string[];
    readonly gatewayTimeout?: string;
    readonly licensed: boolean;
  },
): PlatformSettings {
  const gatewayTimeout = args.gatewayTimeout ?? DEFAULT_GATEWAY_TIMEOUT;
  const gatewayMs = checkDuration(problems, gatewayTimeout, "gatewayTimeout");
  const allowed = args.allowedRegistries;
  allowed?.forEach((entry, i) => checkRegistryEntry(problems, entry, `allowedRegistries[${i}]`));
  const functions = args.functions ?? [];
  if (functions.length > 0 && !args.licensed) {
    problems.add(
      "functions",
      "declaring functions needs the OpenFaaS operator (Function custom resources), which the chart runs " +
        "only for OpenFaaS Standard or Enterprise; give license, or leave functions out and deploy them " +
        "through the gateway with faas-cli",
    );
  }
  const seen = new Set<string>();
  functions.forEach((fn, i) => {
    const at = (key: string) => `functions[${i}].${key}`;
    if (checkDnsLabel(problems, fn.name, at("name"), "function name")) {
      problems.check(
        !seen.has(fn.name),
        at("name"),
        `"${fn.name}" is declared twice; function names are unique in the namespace`,
      );
      seen.add(fn.name);
    }
    const imageOk = checkImage(problems, fn.image, at("image"));
    if (imageOk) checkPinnedImage(problems, fn.image, at("image"));
    if (imageOk && allowed && allowed.length > 0) {
      problems.check(
        allowed.some((entry) => registryAllows(entry, fn.image)),
        at("image"),
        `function "${fn.name}" pulls from registry "${imageRegistry(fn.image)}", which allowedRegistries ` +
          `does not list (${allowed.join(", ")})`,
      );
    }
    checkScale(problems, fn.scale, at("scale"));
    checkResourceRequirements(problems, { requests: fn.requests, limits: fn.limits }, `functions[${i}]`);
    for (const name of Object.keys(fn.environment ?? {})) {
      if (!checkEnvName(problems, name, at(`environment.${name}`))) continue;
      const timeout = (Object.keys(TIMEOUT_ENV) as (keyof FunctionTimeoutsInput)[]).find(
        (k) => TIMEOUT_ENV[k] === name,
      );
      problems.check(
        timeout === undefined,
        at(`environment.${name}`),
        `set it as timeouts.${timeout}, which is checked against gatewayTimeout`,
      );
    }
    for (const key of Object.keys(fn.timeouts ?? {}) as (keyof FunctionTimeoutsInput)[]) {
      const text = fn.timeouts?.[key];
      if (text === undefined) continue;
      const ms = checkDuration(problems, text, at(`timeouts.${key}`));
      if (ms !== undefined && gatewayMs !== undefined) {
        problems.check(
          ms <= gatewayMs,
          at(`timeouts.${key}`),
          `"${text}" is longer than gatewayTimeout ("${gatewayTimeout}"), so the gateway would cut the ` +
            "call off first; raise gatewayTimeout",
        );
      }
    }
    for (const [key, value] of Object.entries(fn.labels ?? {})) {
      checkLabel(problems, key, value, at(`labels.${key}`));
      problems.check(
        !key.startsWith(SCALE_LABEL_PREFIX) && key !== "faas_function",
        at(`labels.${key}`),
        key === "faas_function"
          ? "is set by OpenFaaS itself"
          : "set scaling with scale (min, max, zero), which is checked",
      );
    }
    (fn.secrets ?? []).forEach((s, j) =>
      problems.check(
        isDnsSubdomain(s),
        at(`secrets[${j}]`),
        `${JSON.stringify(s)} is not a Secret name; use lower-case letters, digits, "-" and "."`,
      ),
    );
  });
  return { pro: args.licensed, gatewayTimeout };
}

function checkScale(
  problems: InputProblems,
  scale: FunctionScaleInput | undefined,
  propertyPath: string,
): void {
  if (!scale) return;
  const count = (key: "min" | "max") => {
    const n = scale[key];
    if (n === undefined) return undefined;
    const ok = problems.check(
      Number.isInteger(n) && n >= 1,
      `${propertyPath}.${key}`,
      `${JSON.stringify(n)} is not a replica count; use a whole number of 1 or more` +
        (key === "min" ? " (scale.zero lets an idle function scale to zero)" : ""),
    );
    return ok ? n : undefined;
  };
  const min = count("min");
  const max = count("max");
  if (min !== undefined && max !== undefined) {
    problems.check(min <= max, `${propertyPath}.min`, `${min} is more than scale.max (${max})`);
  }
}

/** The chart values: ours over the chart's defaults, nothing else changed. */
export function openFaasValues(s: PlatformSettings): Record<string, unknown> {
  const timeoutMs = parseDuration(s.gatewayTimeout) ?? 60_000;
  // The chart's own default pairs upstreamTimeout 1m with read/write timeouts of 1m05s.
  const outer = formatDuration(timeoutMs + 5_000);
  return {
    functionNamespace: FUNCTION_NAMESPACE,
    // The basic-auth Secret is ours, made before the release from a RandomPassword kept in state;
    // the chart's own would be a pre-install hook with a password nobody can read back.
    basic_auth: true,
    generateBasicAuth: false,
    // Operator mode (Function custom resources) is refused by the chart without openfaasPro.
    openfaasPro: s.pro,
    operator: { create: s.pro },
    createCRDs: true,
    // No NodePort 31112 on every node (Fleet nodes included); reach the gateway through an
    // Ingress or `kubectl port-forward -n openfaas svc/gateway 8080:8080`.
    exposeServices: false,
    gateway: { upstreamTimeout: s.gatewayTimeout, readTimeout: outer, writeTimeout: outer },
    // Prometheus as the chart ships it: it drives autoscaling and the gateway's metrics.
    prometheus: { create: true },
    // The gateway and the queue see every request body: they stay on Norwegian nodes too.
    nodeSelector: norwegianNodeSelector(),
  };
}

/** The `openfaas.com/v1` Function custom resource of one function. */
export interface FunctionObject<Env> {
  readonly apiVersion: "openfaas.com/v1";
  readonly kind: "Function";
  readonly metadata: { readonly name: string; readonly namespace: string };
  readonly spec: {
    readonly name: string;
    readonly image: string;
    readonly labels?: { [key: string]: string };
    readonly environment?: { [name: string]: Env | string };
    readonly limits?: ResourceAmounts;
    readonly requests?: ResourceAmounts;
    readonly constraints: string[];
    readonly secrets?: string[];
  };
}

/**
 * A function as the operator takes it. The scaling labels and timeouts become what OpenFaaS reads
 * (`com.openfaas.scale.*` labels, `*_timeout` environment); `constraints` pins it to Norwegian
 * nodes on top of the namespace's own selector.
 */
export function functionObject<Env>(fn: FunctionInput<Env>): FunctionObject<Env> {
  const labels: { [key: string]: string } = { ...(fn.labels ?? {}) };
  if (fn.scale?.min !== undefined) labels[`${SCALE_LABEL_PREFIX}min`] = String(fn.scale.min);
  if (fn.scale?.max !== undefined) labels[`${SCALE_LABEL_PREFIX}max`] = String(fn.scale.max);
  if (fn.scale?.zero !== undefined) labels[`${SCALE_LABEL_PREFIX}zero`] = String(fn.scale.zero);
  const environment: { [name: string]: Env | string } = { ...(fn.environment ?? {}) };
  for (const key of Object.keys(TIMEOUT_ENV) as (keyof FunctionTimeoutsInput)[]) {
    const value = fn.timeouts?.[key];
    if (value !== undefined) environment[TIMEOUT_ENV[key]] = value;
  }
  const selector = norwegianNodeSelector();
  return {
    apiVersion: "openfaas.com/v1",
    kind: "Function",
    metadata: { name: fn.name, namespace: FUNCTION_NAMESPACE },
    spec: {
      name: fn.name,
      image: fn.image,
      ...(Object.keys(labels).length > 0 ? { labels: sorted(labels) } : {}),
      ...(Object.keys(environment).length > 0 ? { environment: sorted(environment) } : {}),
      ...(fn.limits ? { limits: { ...fn.limits } } : {}),
      ...(fn.requests ? { requests: { ...fn.requests } } : {}),
      constraints: Object.entries(selector).map(([k, v]) => `${k}=${v}`),
      ...(fn.secrets && fn.secrets.length > 0 ? { secrets: [...fn.secrets] } : {}),
    },
  };
}

function sorted<T>(r: { [key: string]: T }): { [key: string]: T } {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
