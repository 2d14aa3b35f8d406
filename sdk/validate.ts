import * as net from "net";
import { InputProblems } from "./errors";

/** Checks a TCP/UDP port number; records a problem naming the path when it is not 1..65535. */
export function checkPort(problems: InputProblems, value: number, propertyPath: string): boolean {
  return problems.check(
    Number.isInteger(value) && value >= 1 && value <= 65535,
    propertyPath,
    `${String(value)} is not a valid port; use a whole number from 1 to 65535`,
  );
}

const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/** Checks an SSH target: an IPv4/IPv6 address or a DNS name. */
export function checkHost(problems: InputProblems, value: string, propertyPath: string): boolean {
  if (
    !problems.check(
      value.trim() !== "",
      propertyPath,
      "must not be empty; give the server's address or DNS name",
    )
  ) {
    return false;
  }
  return problems.check(
    net.isIP(value) !== 0 || HOSTNAME.test(value),
    propertyPath,
    `"${value}" is neither an IP address nor a DNS name`,
  );
}

/** Checks an IPv4 or IPv6 CIDR such as "203.0.113.0/24". */
export function checkCidr(problems: InputProblems, value: string, propertyPath: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  const family = net.isIP(address ?? "");
  const bits = family === 4 ? 32 : 128;
  const prefixOk = prefix !== undefined && /^\d{1,3}$/.test(prefix) && Number(prefix) <= bits;
  return problems.check(
    rest.length === 0 && family !== 0 && prefixOk,
    propertyPath,
    `"${value}" is not a CIDR; use an address and prefix length such as "203.0.113.0/24"`,
  );
}

/** Checks a network interface name as Linux accepts it (1 to 15 characters, no slash or space). */
export function checkInterfaceName(problems: InputProblems, value: string, propertyPath: string): boolean {
  return problems.check(
    /^[a-zA-Z0-9_.-]{1,15}$/.test(value),
    propertyPath,
    `"${value}" is not an interface name; use 1 to 15 letters, digits, "_", "." or "-"`,
  );
}

/** A plain object (a YAML mapping), not an array, null or a Pulumi Output. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !isOutputLike(value);
}

/** A Pulumi Output or a promise: known only later, so checked once it resolves. */
export function isOutputLike(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    ((value as { __pulumiOutput?: unknown }).__pulumiOutput === true ||
      typeof (value as { then?: unknown }).then === "function")
  );
}

/** Edit distance, for "did you mean" suggestions. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}

/** The known word closest to `word` (case ignored), if it is close enough to be a typo. */
export function closestWord(word: string, known: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(w, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Checks that `value` is an object whose keys are all among `known`; an unknown key (a typo) is
 * named with the closest known one. Returns false when `value` is not an object at all.
 */
export function checkKeys(
  problems: InputProblems,
  value: unknown,
  known: readonly string[],
  propertyPath: string,
  what: string,
): value is Record<string, unknown> {
  if (isOutputLike(value)) return false;
  if (!isPlainObject(value)) {
    problems.add(
      propertyPath || "(args)",
      `must be an object with ${known.join(", ")}, not ${describeValue(value)}`,
    );
    return false;
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    // A key that is no identifier is shown quoted, so an empty or odd key still makes a path.
    const step = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : JSON.stringify(key);
    problems.add(propertyPath ? `${propertyPath}.${step}` : step, unknownKeyReason(key, known, what));
  }
  return true;
}

/** Why `key` is refused: not one of `known`, with the closest known one when it looks like a typo. */
export function unknownKeyReason(key: string, known: readonly string[], what: string): string {
  const near = closestWord(key, known);
  // "an ec2 setting", "an OpenFaasPlatform setting": the article goes by the first letter's sound.
  const article = /^[aeiou]/i.test(what) ? "an" : "a";
  return `is not ${article} ${what} setting; ${near ? `did you mean "${near}"? ` : ""}use ${known.join(", ")}`;
}

/** A value as an error message shows it: JSON where it has one, its kind otherwise. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (typeof value === "function") return "a function";
  if (Array.isArray(value))
    return value.length === 0 ? "an empty list" : `a list (${truncate(JSON.stringify(value))})`;
  if (typeof value === "object" && value !== null) return `an object (${truncate(safeJson(value))})`;
  return truncate(safeJson(value));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

const truncate = (s: string): string => (s.length > 60 ? `${s.slice(0, 57)}...` : s);

/** Records `reason()` at `propertyPath` unless `ok`; the reason is only built for a problem. */
function ensure(problems: InputProblems, ok: boolean, propertyPath: string, reason: () => string): boolean {
  if (!ok) problems.add(propertyPath, reason());
  return ok;
}

/** Plain-value type checks that record a problem naming the path; absent values and outputs pass. */
export const expect = {
  string(problems: InputProblems, value: unknown, propertyPath: string, example: string): value is string {
    if (value === undefined || isOutputLike(value)) return false;
    return ensure(
      problems,
      typeof value === "string",
      propertyPath,
      () => `must be a string such as ${example}, not ${describeValue(value)}`,
    );
  },
  number(problems: InputProblems, value: unknown, propertyPath: string, range: string): value is number {
    if (value === undefined || isOutputLike(value)) return false;
    return ensure(
      problems,
      typeof value === "number" && Number.isFinite(value),
      propertyPath,
      () => `must be a number (${range}), not ${describeValue(value)}`,
    );
  },
  boolean(problems: InputProblems, value: unknown, propertyPath: string): value is boolean {
    if (value === undefined || isOutputLike(value)) return false;
    return ensure(
      problems,
      typeof value === "boolean",
      propertyPath,
      () => `must be true or false, not ${describeValue(value)}`,
    );
  },
  list(problems: InputProblems, value: unknown, propertyPath: string, of: string): value is unknown[] {
    if (value === undefined || isOutputLike(value)) return false;
    return ensure(
      problems,
      Array.isArray(value),
      propertyPath,
      () => `must be a list of ${of}, not ${describeValue(value)}`,
    );
  },
  map(
    problems: InputProblems,
    value: unknown,
    propertyPath: string,
    of: string,
  ): value is Record<string, unknown> {
    if (value === undefined || isOutputLike(value)) return false;
    return ensure(
      problems,
      isPlainObject(value),
      propertyPath,
      () => `must be a mapping of ${of}, not ${describeValue(value)}`,
    );
  },
};

/** A DNS-1123 label: what Kubernetes accepts as a node or object name and a host as its hostname. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** Checks a component's name, which names hosts or Kubernetes objects after it. */
export function checkComponentName(problems: InputProblems, name: unknown, what: string): boolean {
  return problems.check(
    typeof name === "string" && DNS_LABEL.test(name),
    "name",
    `${describeValue(name)} is not a valid ${what} name: ${what} names become host and Kubernetes names, so use ` +
      'up to 63 lower-case letters, digits and "-", starting and ending with a letter or digit',
  );
}

/** Checks that an image is pinned: a tag other than `latest`, or a digest, so a deploy is repeatable. */
export function checkPinnedImage(problems: InputProblems, image: string, propertyPath: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastPart = image.split("/").pop() ?? "";
  const tag = lastPart.includes(":") ? lastPart.slice(lastPart.lastIndexOf(":") + 1) : undefined;
  return problems.check(
    tag !== undefined && tag !== "latest",
    propertyPath,
    `"${image}" is not pinned${tag === "latest" ? " (latest moves)" : " (no tag means latest)"}; give a version tag ` +
      'such as ":1.4.2" or a digest "@sha256:..."',
  );
}

/** Private (RFC 1918) and shared (RFC 6598) IPv4 ranges: what a mesh may use. */
export function isPrivateIpv4Range(address: string, prefix: number): boolean {
  const [a, b] = address.split(".").map(Number);
  return (
    (a === 10 && prefix >= 8) ||
    (a === 172 && b >= 16 && b <= 31 && prefix >= 12) ||
    (a === 192 && b === 168 && prefix >= 16) ||
    (a === 100 && b >= 64 && b <= 127 && prefix >= 10)
  );
}

/** An AWS instance type: family and generation, a dot, a size (`t3.small`, `m7gd.2xlarge`, `u-6tb1.metal`). */
export const INSTANCE_TYPE = /^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9-]+$/;

/** SSH open to everyone: what an `adminCidr` may only be with an explicit opt-in. */
export function isWholeInternet(cidr: string): boolean {
  return /^(0\.0\.0\.0\/0|::\/0|0:0:0:0:0:0:0:0\/0)$/.test(cidr.trim());
}
