import * as pulumi from "@pulumi/pulumi";

/**
 * Bad input, found before anything touches a host. The message names the property path and what
 * would be valid. It is an `InputPropertyError`, so the engine reports it against the property
 * when the component is constructed through a provider (other Pulumi languages).
 */
export class FortressInputError extends pulumi.InputPropertyError {
  constructor(propertyPath: string, reason: string) {
    super({ propertyPath, reason });
    this.name = "FortressInputError";
    this.message = `${propertyPath}: ${reason}`;
  }
}

/** One problem found while validating input. */
export interface InputProblem {
  readonly propertyPath: string;
  readonly reason: string;
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

  get list(): readonly InputProblem[] {
    return this.found;
  }

  throwIfAny(subject: string): void {
    if (this.found.length === 0) return;
    if (this.found.length === 1) {
      throw new FortressInputError(this.found[0].propertyPath, this.found[0].reason);
    }
    const lines = this.found.map((p) => `  - ${p.propertyPath}: ${p.reason}`).join("\n");
    const err = new FortressInputError(this.found[0].propertyPath, this.found[0].reason);
    err.message = `${subject} has ${this.found.length} invalid inputs:\n${lines}`;
    throw err;
  }
}
