import * as pulumi from "@pulumi/pulumi";

/** One problem found while validating input. */
export interface InputProblem {
  readonly propertyPath: string;
  readonly reason: string;
}

/**
 * Bad input, found before anything touches a host. It holds every problem with its property path
 * and what would be valid; the message lists them. It is an `InputPropertyError` (naming the first
 * problem), so the engine reports it against the property when the component is constructed
 * through a provider (other Pulumi languages).
 */
export class FortressInputError extends pulumi.InputPropertyError {
  /** Every problem, in the order found. Never empty. */
  readonly problems: readonly InputProblem[];
  /** What was being validated, e.g. `KvmNode "osl-1"`; named in a message of several problems. */
  readonly subject: string;

  constructor(propertyPath: string, reason: string);
  constructor(problems: readonly InputProblem[], subject: string);
  constructor(first: string | readonly InputProblem[], second: string) {
    const problems = typeof first === "string" ? [{ propertyPath: first, reason: second }] : [...first];
    if (problems.length === 0) throw new Error("FortressInputError needs at least one problem");
    super(problems[0]);
    this.name = "FortressInputError";
    this.problems = problems;
    this.subject = typeof first === "string" ? first : second;
    this.message =
      problems.length === 1
        ? `${problems[0].propertyPath}: ${problems[0].reason}`
        : `${this.subject} has ${problems.length} invalid inputs:\n` +
          problems.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n");
  }

  /** The same problems under `key`: `existing.port` becomes `fortress:nodes[2].existing.port`. */
  underKey(key: string, subject = key): FortressInputError {
    return new FortressInputError(
      this.problems.map((p) => ({ propertyPath: joinPath(key, p.propertyPath), reason: p.reason })),
      subject,
    );
  }
}

/** `key` + `path`, with a dot unless the path starts with an index (`[2]`) or is empty. */
export function joinPath(key: string, path: string): string {
  if (path === "") return key;
  if (key === "") return path;
  return path.startsWith("[") ? `${key}${path}` : `${key}.${path}`;
}

/**
 * Collects every problem of one input object, so a user sees all of them at once, then throws.
 * One problem gives `path: reason`; several give a list, one per line.
 */
export class InputProblems {
  private readonly found: InputProblem[] = [];

  add(propertyPath: string, reason: string): void {
    this.found.push({ propertyPath, reason });
  }

  /** Records the problem when `ok` is false; returns `ok` so callers can skip dependent checks. */
  check(ok: boolean, propertyPath: string, reason: string): boolean {
    if (!ok) this.add(propertyPath, reason);
    return ok;
  }

  /** Records the problems of a thrown FortressInputError (under `key`); rethrows anything else. */
  absorb(e: unknown, key = ""): void {
    if (!(e instanceof FortressInputError)) throw e;
    for (const p of e.problems) this.add(joinPath(key, p.propertyPath), p.reason);
  }

  get list(): readonly InputProblem[] {
    return this.found;
  }

  throwIfAny(subject: string): void {
    if (this.found.length > 0) throw new FortressInputError(this.found, subject);
  }
}
