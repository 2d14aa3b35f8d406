// Pure Kubernetes helpers for the components that run on a cluster: resource quantities and their
// typical typos, object names, labels, image references, Go durations, Helm chart pins and the
// namespace that pins its pods to Norwegian nodes. No Pulumi here.
import { InputProblems } from "./errors";

// ---------------------------------------------------------------------------------------------
// Residency on the cluster

/**
 * The node label Norwegian nodes carry (`placementLabels` gives `region: "no"` to a node in Norway
 * whose provider is under no foreign access law). Workloads that may touch personal data are
 * pinned with it.
 */
export const NORWEGIAN_NODE_LABEL: Readonly<{ key: string; value: string }> = { key: "region", value: "no" };

/** A node selector for Norwegian nodes: `{ region: "no" }`. */
export function norwegianNodeSelector(): { [key: string]: string } {
  return { [NORWEGIAN_NODE_LABEL.key]: NORWEGIAN_NODE_LABEL.value };
}

/**
 * The namespace annotation of the `PodNodeSelector` admission plugin (K3sCluster enables it): the
 * API server merges this selector into every pod of the namespace and refuses a pod whose own
 * selector contradicts it, so no pod of the namespace can run off Norwegian nodes.
 */
export const POD_NODE_SELECTOR_ANNOTATION = "scheduler.alpha.kubernetes.io/node-selector";

/** A Namespace object as the API takes it. */
export interface NamespaceObject {
  readonly apiVersion: "v1";
  readonly kind: "Namespace";
  readonly metadata: {
    readonly name: string;
    readonly labels?: { [key: string]: string };
    readonly annotations?: { [key: string]: string };
  };
}

/** A namespace whose pods the API server keeps on Norwegian nodes (`region=no`). */
export function norwegianNamespace(name: string, labels: { [key: string]: string } = {}): NamespaceObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      ...(Object.keys(labels).length > 0 ? { labels: sortedRecord(labels) } : {}),
      annotations: {
        [POD_NODE_SELECTOR_ANNOTATION]: `${NORWEGIAN_NODE_LABEL.key}=${NORWEGIAN_NODE_LABEL.value}`,
      },
    },
  };
}

/** The error when a component would fall back to the ambient kubeconfig's cluster. */
export function missingProviderMessage(subject: string): string {
  return (
    `${subject} has no Kubernetes provider: pass the cluster's provider as a resource option, ` +
    "{ providers: [cluster.provider] } or { provider: cluster.provider }, so that nothing lands in " +
    "whatever cluster the ambient kubeconfig points at"
  );
}

// ---------------------------------------------------------------------------------------------
// Resource quantities

/** CPU and memory amounts as Kubernetes writes them: `cpu: "100m"`, `memory: "128Mi"`. */
export interface ResourceAmounts {
  /** CPU in cores (`"0.5"`, `"2"`) or millicores (`"500m"`). */
  readonly cpu?: string;
  /** Memory in binary units (`"128Mi"`, `"1Gi"`). Decimal units (`"128M"`) are refused as likely typos. */
  readonly memory?: string;
}

/** What a container asks for (`requests`, what the scheduler reserves) and may use at most (`limits`). */
export interface ResourceRequirements {
  /** What the scheduler reserves for the container. */
  readonly requests?: ResourceAmounts;
  /** The most the container may use: over the memory limit it is killed, over the CPU limit throttled. */
  readonly limits?: ResourceAmounts;
}

/** A parsed quantity: `"200Mi"` is `{ number: "200", suffix: "Mi", value: 209715200 }`. */
export interface Quantity {
  readonly number: string;
  readonly suffix: string;
  /** The amount in base units (bytes, cores). */
  readonly value: number;
}

const BINARY_SI: Readonly<Record<string, number>> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const DECIMAL_SI: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};
// The quantity grammar of k8s.io/apimachinery/pkg/api/resource: a signed decimal number, then
// a binary or decimal SI suffix or a decimal exponent.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

/** Parses a Kubernetes quantity; undefined when the text is not one. */
export function parseQuantity(text: string): Quantity | undefined {
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const [, number, suffix = ""] = m;
  const factor = /^[eE]/.test(suffix)
    ? 10 ** Number(suffix.slice(1))
    : (BINARY_SI[suffix] ?? DECIMAL_SI[suffix]);
  return { number, suffix, value: Number(number) * factor };
}

const MEMORY_HINT = 'write memory in binary units, e.g. "128Mi" or "1Gi"';
const CPU_HINT = 'write CPU in cores ("0.5", "2") or millicores ("500m")';
const DECIMAL_UNIT_NAMES: Readonly<Record<string, string>> = {
  k: "kilobytes",
  M: "megabytes",
  G: "gigabytes",
  T: "terabytes",
  P: "petabytes",
  E: "exabytes",
};
/** Below this no container starts; a bare number this small is a forgotten unit. */
const MIN_MEMORY = 4 * 2 ** 20;
/** More cores than any Fortress or Fleet node has: a bare number this big is a forgotten "m". */
export const MAX_CPU_CORES = 32;

/**
 * Checks a memory amount and catches the classic typos: `"200m"` (0.2 bytes: `m` is milli),
 * `"200M"` (decimal megabytes where `Mi` was meant: Kubernetes accepts it, but it is rarely what
 * anyone meant) and a bare `"128"` (bytes). Returns the parsed amount when it is sound.
 */
export function checkMemory(
  problems: InputProblems,
  text: string,
  propertyPath: string,
): Quantity | undefined {
  const q = typeof text === "string" ? parseQuantity(text) : undefined;
  if (!q) {
    problems.add(propertyPath, `${JSON.stringify(text)} is not a Kubernetes quantity; ${MEMORY_HINT}`);
    return undefined;
  }
  if (q.value <= 0) {
    problems.add(propertyPath, `"${text}" must be more than zero; ${MEMORY_HINT}`);
    return undefined;
  }
  if (q.suffix === "m" || q.suffix === "u" || q.suffix === "n") {
    const prefix = { m: "milli", u: "micro", n: "nano" }[q.suffix];
    problems.add(
      propertyPath,
      `"${text}" is ${formatNumber(q.value)} bytes ("${q.suffix}" means ${prefix}); did you mean "${q.number}Mi"?`,
    );
    return undefined;
  }
  if (q.suffix in DECIMAL_UNIT_NAMES) {
    const binary = q.suffix === "k" ? "Ki" : `${q.suffix}i`;
    const unit = DECIMAL_UNIT_NAMES[q.suffix];
    problems.add(
      propertyPath,
      `"${text}" is ${q.number} ${Number(q.number) === 1 ? unit.slice(0, -1) : unit} (decimal); ` +
        `did you mean "${q.number}${binary}"? Write ${formatNumber(q.value)} if decimal ${unit} are meant`,
    );
    return undefined;
  }
  if (q.value < MIN_MEMORY) {
    problems.add(
      propertyPath,
      q.suffix === ""
        ? `"${text}" is ${q.number} bytes; did you mean "${q.number}Mi"?`
        : `"${text}" is ${formatNumber(q.value)} bytes, too little for a container to start; ${MEMORY_HINT}`,
    );
    return undefined;
  }
  return q;
}

/**
 * Checks a CPU amount: cores or millicores, at least 1m, and no more than a node has (`"100"` is
 * 100 cores, most likely a forgotten `m`). Returns the parsed amount when it is sound.
 */
export function checkCpu(problems: InputProblems, text: string, propertyPath: string): Quantity | undefined {
  const q = typeof text === "string" ? parseQuantity(text) : undefined;
  if (!q) {
    problems.add(propertyPath, `${JSON.stringify(text)} is not a Kubernetes quantity; ${CPU_HINT}`);
    return undefined;
  }
  if (q.suffix in BINARY_SI) {
    problems.add(propertyPath, `"${text}" is a memory unit, not a CPU amount; ${CPU_HINT}`);
    return undefined;
  }
  if (q.value <= 0) {
    problems.add(propertyPath, `"${text}" must be more than zero; ${CPU_HINT}`);
    return undefined;
  }
  if (q.value < 1e-3) {
    problems.add(
      propertyPath,
      `"${text}" is less than 1m, the smallest CPU amount Kubernetes knows; ${CPU_HINT}`,
    );
    return undefined;
  }
  if (q.value > MAX_CPU_CORES) {
    problems.add(
      propertyPath,
      q.suffix === "" && /^\d+$/.test(q.number)
        ? `"${text}" is ${q.number} CPU cores; did you mean "${q.number}m" (${cores(q.value / 1000)})?`
        : `"${text}" is ${formatNumber(q.value)} CPU cores, more than ${MAX_CPU_CORES}; ${CPU_HINT}`,
    );
    return undefined;
  }
  return q;
}

/**
 * Checks requests and limits: each amount, and that no request is above its limit (the API
 * server refuses such a pod). `propertyPath` is the object holding `requests` and `limits`.
 */
export function checkResourceRequirements(
  problems: InputProblems,
  r: ResourceRequirements,
  propertyPath: string,
): void {
  const at = (key: string) => (propertyPath === "" ? key : `${propertyPath}.${key}`);
  const parsed = (kind: "requests" | "limits") => {
    const amounts = r[kind] ?? {};
    return {
      cpu: amounts.cpu === undefined ? undefined : checkCpu(problems, amounts.cpu, at(`${kind}.cpu`)),
      memory:
        amounts.memory === undefined
          ? undefined
          : checkMemory(problems, amounts.memory, at(`${kind}.memory`)),
    };
  };
  const requests = parsed("requests");
  const limits = parsed("limits");
  for (const resource of ["cpu", "memory"] as const) {
    const request = requests[resource];
    const limit = limits[resource];
    if (request && limit && request.value > limit.value) {
      problems.add(
        at(`requests.${resource}`),
        `"${r.requests?.[resource]}" is more than the limit "${r.limits?.[resource]}"; ` +
          "Kubernetes refuses a request above its limit",
      );
    }
  }
}

/** `base` with the amounts `override` gives, field by field. */
export function mergeResources(
  base: ResourceRequirements,
  override?: ResourceRequirements,
): ResourceRequirements {
  return {
    requests: { ...base.requests, ...definedOnly(override?.requests) },
    limits: { ...base.limits, ...definedOnly(override?.limits) },
  };
}

// ---------------------------------------------------------------------------------------------
// Names, labels, environment

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** A DNS-1123 label: what a Service or a Deployment name has to be. */
export function isDnsLabel(value: string): boolean {
  return typeof value === "string" && value.length <= 63 && DNS_LABEL.test(value);
}

/** A DNS-1123 subdomain: what most object names (Secret, ConfigMap) have to be. */
export function isDnsSubdomain(value: string): boolean {
  return typeof value === "string" && value.length <= 253 && DNS_SUBDOMAIN.test(value);
}

/** The nearest DNS-1123 label to a name someone wrote: `"GDPR_handler"` gives `"gdpr-handler"`. */
export function dnsLabelSuggestion(value: string): string {
  const s = String(value)
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63)
    .replace(/-+$/, "");
  return s === "" ? "my-function" : s;
}

/** Checks a name that must be a DNS-1123 label; `what` says what it names ("function name"). */
export function checkDnsLabel(
  problems: InputProblems,
  value: string,
  propertyPath: string,
  what: string,
): boolean {
  return problems.check(
    isDnsLabel(value),
    propertyPath,
    `${JSON.stringify(value)} is not a valid ${what}; use at most 63 lower-case letters, digits and "-", ` +
      `starting and ending with a letter or digit (a DNS-1123 label), e.g. "${dnsLabelSuggestion(value)}"`,
  );
}

/** Checks a label key (`[prefix/]name`) and its value as Kubernetes validates them. */
export function checkLabel(problems: InputProblems, key: string, value: string, propertyPath: string): void {
  const slash = key.lastIndexOf("/");
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  problems.check(
    (prefix === undefined || isDnsSubdomain(prefix)) && name.length <= 63 && LABEL_NAME.test(name),
    propertyPath,
    `"${key}" is not a valid label key; use an optional DNS subdomain prefix and "/", then at most 63 ` +
      'letters, digits, "-", "_" or ".", e.g. "team" or "example.no/team"',
  );
  problems.check(
    typeof value === "string" && value.length <= 63 && (value === "" || LABEL_NAME.test(value)),
    propertyPath,
    `${JSON.stringify(value)} is not a valid label value; use at most 63 letters, digits, "-", "_" or ".", ` +
      "starting and ending with a letter or digit",
  );
}

/** Checks an environment variable name as Kubernetes accepts it. */
export function checkEnvName(problems: InputProblems, name: string, propertyPath: string): boolean {
  return problems.check(
    ENV_NAME.test(name),
    propertyPath,
    `"${name}" is not a valid environment variable name; use letters, digits, "_", "-" and ".", not starting with a digit`,
  );
}

// ---------------------------------------------------------------------------------------------
// Images

/** The registry an image reference pulls from: `"ghcr.io/org/app:1"` gives `"ghcr.io"`, `"nginx"` `"docker.io"`. */
export function imageRegistry(image: string): string {
  const slash = image.indexOf("/");
  if (slash < 0) return "docker.io";
  const first = image.slice(0, slash);
  return first.includes(".") || first.includes(":") || first === "localhost"
    ? first.toLowerCase()
    : "docker.io";
}

const IMAGE = /^[a-zA-Z0-9][a-zA-Z0-9._\-/:@]*$/;

/** Checks the shape of an image reference (not that it exists). */
export function checkImage(problems: InputProblems, image: string, propertyPath: string): boolean {
  const registry = typeof image === "string" ? imageRegistry(image) : "";
  const path =
    typeof image === "string" ? image.slice(image.startsWith(`${registry}/`) ? registry.length + 1 : 0) : "";
  const repository = path.split("@")[0].replace(/:[^/]*$/, "");
  return problems.check(
    typeof image === "string" &&
      IMAGE.test(image) &&
      repository !== "" &&
      repository === repository.toLowerCase(),
    propertyPath,
    `${JSON.stringify(image)} is not an image reference; use [registry/]repository[:tag][@digest] with a ` +
      'lower-case repository, e.g. "registry.example.no/team/app:1.4.2"',
  );
}

/**
 * Whether an allowed-registries entry admits an image: an entry is a registry host
 * (`"registry.example.no"`, `"localhost:5000"`) or a host with a path prefix (`"ghcr.io/my-org"`).
 */
export function registryAllows(entry: string, image: string): boolean {
  const e = entry.replace(/\/+$/, "");
  const registry = imageRegistry(image);
  if (!e.includes("/")) return registry === e.toLowerCase();
  const full = image.startsWith(`${registry}/`) ? image : `${registry}/${image}`;
  return full.toLowerCase().startsWith(`${e.toLowerCase()}/`);
}

/** Checks an allowed-registries entry: a host, optionally with a path, and no scheme. */
export function checkRegistryEntry(problems: InputProblems, entry: string, propertyPath: string): boolean {
  return problems.check(
    typeof entry === "string" && /^[a-zA-Z0-9][a-zA-Z0-9.\-]*(:\d+)?(\/[a-z0-9._\-]+)*\/?$/.test(entry),
    propertyPath,
    `${JSON.stringify(entry)} is not a registry; give its host, and optionally a path, without a scheme, ` +
      'e.g. "registry.example.no" or "ghcr.io/my-org"',
  );
}

// ---------------------------------------------------------------------------------------------
// Durations (Go's time.ParseDuration, which OpenFaaS timeouts use)

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
const DURATION = /^(\d+(?:\.\d+)?(ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration in milliseconds (`"1m5s"` is 65000); undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  if (typeof text !== "string" || !DURATION.test(text)) return undefined;
  let ms = 0;
  for (const m of text.matchAll(DURATION_PART)) ms += Number(m[1]) * UNIT_MS[m[2]];
  return ms;
}

/** Milliseconds as a Go duration: 65000 is `"1m5s"`. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return "0s";
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  return `${h > 0 ? `${h}h` : ""}${m > 0 ? `${m}m` : ""}${s > 0 ? `${formatNumber(s)}s` : ""}`;
}

/** Checks a Go duration that must be positive; returns it in milliseconds. */
export function checkDuration(
  problems: InputProblems,
  text: string,
  propertyPath: string,
): number | undefined {
  const ms = parseDuration(text);
  problems.check(
    ms !== undefined && ms > 0,
    propertyPath,
    `${JSON.stringify(text)} is not a duration; use a number with a unit, e.g. "10s", "1m30s" or "2m"`,
  );
  return ms !== undefined && ms > 0 ? ms : undefined;
}

// ---------------------------------------------------------------------------------------------
// Helm charts

/** Which chart release to install, and from where. */
export interface HelmChartArgs {
  /** The exact chart version. Default: the version this package was tested with. Changing it upgrades the release. */
  readonly version?: string;
  /**
   * The chart repository: an `https://` Helm repository or an `oci://` registry path, e.g. a
   * mirror in Norway. Default: the chart's upstream repository.
   */
  readonly repository?: string;
}

/** A chart to install: what `helm.v3.Release` takes as `chart`, `version` and `repositoryOpts`. */
export interface ChartSource {
  readonly chart: string;
  readonly version: string;
  /** Undefined for an OCI registry, whose address is in `chart`. */
  readonly repository?: string;
}

const CHART_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Checks a chart pin and resolves where the chart comes from. */
export function resolveChart(
  problems: InputProblems,
  chart: string,
  defaults: Required<HelmChartArgs>,
  args: HelmChartArgs | undefined,
  propertyPath: string,
): ChartSource {
  const version = args?.version ?? defaults.version;
  const repository = (args?.repository ?? defaults.repository).replace(/\/+$/, "");
  problems.check(
    CHART_VERSION.test(version),
    `${propertyPath}.version`,
    `${JSON.stringify(version)} is not an exact chart version; pin one such as "${defaults.version}"`,
  );
  problems.check(
    /^(https?|oci):\/\/[^\s'"]+$/.test(repository),
    `${propertyPath}.repository`,
    `${JSON.stringify(args?.repository)} is not a chart repository; use an https:// Helm repository or an ` +
      `oci:// registry path, e.g. "${defaults.repository}"`,
  );
  return repository.startsWith("oci://")
    ? { chart: `${repository}/${chart}`, version }
    : { chart, version, repository };
}

// ---------------------------------------------------------------------------------------------

function definedOnly(amounts: ResourceAmounts | undefined): ResourceAmounts {
  return Object.fromEntries(Object.entries(amounts ?? {}).filter(([, v]) => v !== undefined));
}

function sortedRecord(r: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function cores(n: number): string {
  return `${formatNumber(n)} ${n > 1 ? "cores" : "core"}`;
}

function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}
