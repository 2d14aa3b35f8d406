// Output plumbing at the SDK's lowest cost. Every Output costs @pulumi/pulumi four promises and a
// Proxy, and `pulumi.all` (like `pulumi.output` given an Output) first copies each Output it is
// given into two new ones: `all([a, b, c]).apply(f)` makes 8 Outputs where nested applies make 3.
// At a few steps per host and a hundred hosts, that difference is most of the evaluation time.
import * as pulumi from "@pulumi/pulumi";

type Unwrapped<I extends readonly unknown[]> = { -readonly [K in keyof I]: pulumi.Unwrap<I[K]> };

/**
 * A value the components computed: plain when it is known at construction, an Output when it
 * waits on one. Never an object holding Outputs, so it can be used as it is.
 */
export type Eventually<T> = T | pulumi.Output<T>;

/** `f` of a value: now if it is plain, once it is known if it is an Output. */
export function whenKnown<T, R>(value: Eventually<T>, f: (v: T) => R): Eventually<R> {
  return pulumi.Output.isInstance(value) ? value.apply<R>(f) : f(value);
}

/** Plain data all the way down: no Output, promise or resource inside. */
function isPlainData(v: unknown): boolean {
  if (typeof v !== "object" || v === null) return true;
  if (Array.isArray(v)) return v.every(isPlainData);
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  return Object.values(v).every(isPlainData);
}

/** An input as the components use it: as it is when it is plain data, else as one Output. */
export function eventually<T>(input: pulumi.Input<T>): Eventually<pulumi.Unwrap<T>> {
  if (pulumi.Output.isInstance(input) || isPlainData(input)) return input as Eventually<pulumi.Unwrap<T>>;
  return pulumi.output(input);
}

/**
 * `pulumi.all(inputs).apply(f)`, made by nesting applies: secrets and unknowns carry over as they
 * do through `all`. Plain when every input is plain data; an input holding Outputs inside goes
 * through `pulumi.output` first.
 */
export function combine<I extends readonly unknown[], R>(
  inputs: readonly [...I],
  f: (values: Unwrapped<I>) => R,
): Eventually<R> {
  const values: unknown[] = new Array(inputs.length);
  const from = (i: number): Eventually<R> => {
    if (i === inputs.length) return f(values as unknown as Unwrapped<I>);
    const v: unknown = eventually(inputs[i]);
    if (!pulumi.Output.isInstance(v)) {
      values[i] = v;
      return from(i + 1);
    }
    return v.apply((x) => {
      values[i] = x;
      return from(i + 1);
    }) as pulumi.Output<R>;
  };
  return from(0);
}

/** `combine`, always as an Output (for a component's output property). */
export function combineOutput<I extends readonly unknown[], R>(
  inputs: readonly [...I],
  f: (values: Unwrapped<I>) => R,
): pulumi.Output<R> {
  const result = combine(inputs, f);
  return pulumi.Output.isInstance(result) ? result : (pulumi.output(result) as pulumi.Output<R>);
}

/** `pulumi.all` of a record of flat values, as one Output, at one Output per value. */
export function combineRecord<T>(record: Record<string, pulumi.Input<T>>): pulumi.Output<Record<string, T>> {
  const keys = Object.keys(record);
  return combineOutput(
    keys.map((k) => record[k]),
    (values) => Object.fromEntries(keys.map((k, i) => [k, values[i] as T])),
  );
}
