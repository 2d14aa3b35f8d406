// How much of a stack trace the program's errors capture while it is evaluated under mocks.
// @pulumi/pulumi 3.248 captures and formats a stack for every promise it makes (debuggablePromise
// reads `new Error().stack`, kept only for PULUMI_DEBUG_PROMISE_LEAKS) and one per resource
// (Resource.callsites, with an unlimited depth, for source positions); under ts-node each one is
// mapped back to TypeScript by source-map-support. The SDK has no switch for either.

/**
 * - `sdk-default`: as the process has it (V8's 10 frames, source-mapped under ts-node);
 * - `unmapped`: frames as V8 formats them, not mapped back to TypeScript;
 * - `off`: no frames on errors created meanwhile, and none mapped. Resource.callsites lifts the
 *   limit for its own capture, so resources keep source positions, as V8 reports them (lines of
 *   the transpiled code under ts-node).
 */
export type StackTraces = "sdk-default" | "unmapped" | "off";

/** Runs `fn` with the given stack-trace setting, and puts the process's own back afterwards. */
export async function withStackTraces<T>(setting: StackTraces, fn: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  // Saved to be put back as it was, never called here.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const prepare = Error.prepareStackTrace;
  // Without a prepareStackTrace, V8 formats frames itself.
  if (setting !== "sdk-default") (Error as { prepareStackTrace?: unknown }).prepareStackTrace = undefined;
  if (setting === "off") Error.stackTraceLimit = 0;
  try {
    return await fn();
  } finally {
    Error.stackTraceLimit = limit;
    Error.prepareStackTrace = prepare;
  }
}
