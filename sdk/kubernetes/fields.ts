// The plain fields of Kubernetes objects as the API server validates them: object names, labels,
// environment variable names, image references, and Go durations (OpenFaaS timeouts). No Pulumi here.
import { InputProblems } from "../errors";
import { formatNumber } from "./quantities";

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
