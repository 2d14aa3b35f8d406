import { FortressInputError, InputProblems } from "./errors";

/** One node of a stack, as written in `stacks/Pulumi.<stack>.yaml` under `fortress:nodes`. */
export interface NodeConfig {
  readonly name: string;
  /** The rest is handed to KvmNode as its args, which validates it. */
  readonly args: Readonly<Record<string, unknown>>;
}

const NODE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * Checks the shape of `fortress:nodes`: a list of objects with unique names. What each node says
 * is checked by KvmNode itself; the stack prefixes its errors with the config path.
 */
export function parseNodesConfig(raw: unknown, key = "fortress:nodes"): NodeConfig[] {
  if (!Array.isArray(raw) || raw.length === 0) {
    throw new FortressInputError(key, "must be a non-empty list of nodes, each with a name and a placement");
  }
  const problems = new InputProblems();
  const seen = new Set<string>();
  const nodes: NodeConfig[] = [];
  raw.forEach((item: unknown, i) => {
    const path = `${key}[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      problems.add(path, "must be an object with name, placement and existing or ec2");
      return;
    }
    const { name, ...args } = item as Record<string, unknown>;
    if (typeof name !== "string" || !NODE_NAME.test(name)) {
      problems.add(
        `${path}.name`,
        `${JSON.stringify(name)} is not a node name; use lower-case letters, digits and "-", starting with a letter`,
      );
      return;
    }
    if (
      !problems.check(
        !seen.has(name),
        `${path}.name`,
        `"${name}" is used by another node; names must be unique`,
      )
    )
      return;
    seen.add(name);
    nodes.push({ name, args });
  });
  problems.throwIfAny(key);
  return nodes;
}

/** Runs `fn`, and re-roots any input error it throws under the config key the input came from. */
export function underConfigKey<T>(key: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof FortressInputError ? e.underKey(key) : e;
  }
}

/** Checks a list of node names in config against the stack's nodes. */
export function parseNodeRefs(
  raw: unknown,
  key: string,
  known: readonly string[],
  required: boolean,
): string[] {
  if (raw === undefined && !required) return [];
  const problems = new InputProblems();
  if (!Array.isArray(raw) || (required && raw.length === 0)) {
    throw new FortressInputError(
      key,
      `must be a list of node names from fortress:nodes (${known.join(", ")})`,
    );
  }
  raw.forEach((name: unknown, i) =>
    problems.check(
      typeof name === "string" && known.includes(name),
      `${key}[${i}]`,
      `${JSON.stringify(name)} is not a node of fortress:nodes (${known.join(", ")})`,
    ),
  );
  problems.throwIfAny(key);
  return raw as string[];
}

/** An optional config object: undefined when absent, an error naming the key when not an object. */
export function configObject(raw: unknown, key: string): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new FortressInputError(key, "must be an object (a YAML mapping)");
  }
  return raw as Record<string, unknown>;
}
