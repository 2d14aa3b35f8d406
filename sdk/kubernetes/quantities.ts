// CPU and memory amounts as Kubernetes writes them, with their typical typos caught, and requests
// against limits. No Pulumi here.
import { InputProblems } from "../errors";

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

function definedOnly(amounts: ResourceAmounts | undefined): ResourceAmounts {
  return Object.fromEntries(Object.entries(amounts ?? {}).filter(([, v]) => v !== undefined));
}

function cores(n: number): string {
  return `${formatNumber(n)} ${n > 1 ? "cores" : "core"}`;
}

/** A number as messages write it: no trailing float noise. */
export function formatNumber(n: number): string {
  return Number.isInteger(n) ? String(n) : String(Number(n.toPrecision(6)));
}
