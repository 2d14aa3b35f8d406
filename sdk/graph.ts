// The dependency graph of a deployment: which steps must wait for which. The engine runs a step as
// soon as everything it depends on is done, so a first deployment takes at least as long as its
// heaviest chain of dependencies (its critical path), however many steps run beside it.

/** A step and the steps it waits for (by id). */
export interface GraphNode {
  readonly id: string;
  readonly dependsOn: readonly string[];
  /** What the step costs on the chain: 1 for a host command, 0 for a key or a cloud object, seconds... */
  readonly weight: number;
}

export interface CriticalPath {
  /** The sum of the weights on the heaviest chain. */
  readonly weight: number;
  /** Its steps, first to last; only the ones with a weight. */
  readonly path: readonly string[];
}

/**
 * The heaviest chain of dependencies in a DAG. A dependency on an id that is not a node (a
 * provider, a resource of another stack) costs nothing. Throws on a cycle, naming it, since the
 * engine would refuse the program anyway.
 */
export function criticalPath(nodes: readonly GraphNode[]): CriticalPath {
  const byId = new Map<string, GraphNode>();
  for (const n of nodes) {
    if (byId.has(n.id)) throw new Error(`the graph has two nodes with id "${n.id}"`);
    byId.set(n.id, n);
  }
  // Heaviest chain ending at each node, with the predecessor on it; iterative, so 10,000 steps in a
  // line do not overflow the stack.
  const best = new Map<string, { weight: number; via?: string }>();
  const state = new Map<string, "open" | "done">();
  for (const root of nodes) {
    const stack: { id: string; next: number }[] = [{ id: root.id, next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const node = byId.get(top.id)!;
      if (top.next === 0) {
        if (state.get(top.id) === "done") {
          stack.pop();
          continue;
        }
        state.set(top.id, "open");
      }
      const dep = node.dependsOn[top.next];
      if (dep !== undefined) {
        top.next++;
        if (!byId.has(dep) || state.get(dep) === "done") continue;
        if (state.get(dep) === "open") {
          const cycle = [...stack.slice(stack.findIndex((s) => s.id === dep)).map((s) => s.id), dep];
          throw new Error(`the graph has a cycle: ${cycle.join(" -> ")}`);
        }
        stack.push({ id: dep, next: 0 });
        continue;
      }
      let weight = 0;
      let via: string | undefined;
      for (const d of node.dependsOn) {
        const b = best.get(d);
        if (b && b.weight > weight) [weight, via] = [b.weight, d];
      }
      best.set(top.id, { weight: weight + node.weight, via });
      state.set(top.id, "done");
      stack.pop();
    }
  }
  let end: string | undefined;
  let weight = 0;
  for (const [id, b] of best) if (b.weight > weight) [end, weight] = [id, b.weight];
  const path: string[] = [];
  for (let at = end; at !== undefined; at = best.get(at)?.via) {
    if (byId.get(at)!.weight !== 0) path.push(at);
  }
  return { weight, path: path.reverse() };
}
