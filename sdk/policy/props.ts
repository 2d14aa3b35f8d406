// Reading resource properties as @pulumi/policy hands them over from the engine. Its props are a
// proxy that throws on any unknown value (one not computed yet at preview), and a throw makes the
// whole policy an advisory "can't run during preview": a mandatory verdict would be lost. So the
// pack reads the plain object underneath and treats the engine's unknown sentinels as unknown.
// Secrets arrive unwrapped (the engine sends them in full to the analyzer).

// The sentinels the engine and @pulumi/policy use for unknown values (@pulumi/policy's proxy.js).
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
  "030794c1-ac77-496b-92df-f27374a8bd58",
  "e48ece36-62e2-4504-bad9-02848725956a",
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** True for a value the engine could not know yet (at preview). */
export function isUnknown(value: unknown): boolean {
  return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

// @pulumi/policy's proxy gives its target for this key (its `getSpecialProxyTarget`).
const PROXY_TARGET = "__getSpecialProxyTarget";

/** The plain properties under @pulumi/policy's unknown-checking proxy (or the object itself). */
export function plainProps(props: unknown): Record<string, unknown> {
  if (typeof props !== "object" || props === null) return {};
  const target = (props as Record<string, unknown>)[PROXY_TARGET];
  return (target ?? props) as Record<string, unknown>;
}

/** The value at `path`, or undefined where a step is missing, not an object, or unknown. */
export function dig(obj: unknown, path: readonly string[]): unknown {
  let current = obj;
  for (const key of path) {
    if (typeof current !== "object" || current === null || isUnknown(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return isUnknown(current) ? undefined : current;
}

/** A known, non-empty string at `path`. */
export function textAt(obj: unknown, path: readonly string[]): string | undefined {
  const v = dig(obj, path);
  return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
}

/** A known object at `path` (a map of tags or labels), else an empty one. */
export function mapAt(obj: unknown, path: readonly string[]): Record<string, unknown> {
  const v = dig(obj, path);
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** A known list at `path`, else an empty one. */
export function listAt(obj: unknown, path: readonly string[]): unknown[] {
  const v = dig(obj, path);
  return Array.isArray(v) ? v : [];
}
