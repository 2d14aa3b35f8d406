// The dependency graph a program registers, as the engine receives it: explicit `dependsOn` and
// the resources behind every Output used as an input (the SDK sends both on each registration,
// with components expanded to their custom resources). Pulumi's mocks do not pass them to
// `newResource`, so this listens on the mock monitor itself.
import * as pulumi from "@pulumi/pulumi";
import { GraphNode } from "../graph";

/** One registration with what it depends on. */
export interface RegisteredNode {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** URNs of the custom resources it waits for. */
  readonly dependsOn: readonly string[];
  /** URN of its parent component, if any. */
  readonly parent?: string;
}

interface RegisterRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(f: (v: { getUrnsList(): string[] }) => void): void };
}
interface RegisterResponse {
  getUrn(): string;
}
type Callback = (err: unknown, res?: RegisterResponse) => void;
interface MockMonitor {
  registerResource(req: RegisterRequest, callback: Callback): Promise<void>;
  /** Pulumi's own record: a component's `state` is the outputs it registered, once it has. */
  resources?: Map<string, { state?: unknown }>;
  __fortressRecorder?: RegisteredNode[];
}

function mockMonitor(): MockMonitor {
  const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitor | undefined;
  if (!monitor || typeof monitor.registerResource !== "function") {
    throw new Error("recording registrations needs Pulumi's mocks: install them first (installMocks)");
  }
  return monitor;
}

/**
 * Records every registration's dependencies from now on, into the returned list (empty it
 * between runs). Call after the mocks are installed; calling again returns the same list.
 */
export function recordDependencies(): RegisteredNode[] {
  const monitor = mockMonitor();
  if (monitor.__fortressRecorder) return monitor.__fortressRecorder;
  const recorded: RegisteredNode[] = [];
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) =>
    register(req, (err, res) => {
      if (!err && res) {
        const deps = new Set(req.getDependenciesList());
        req.getPropertydependenciesMap().forEach((v) => v.getUrnsList().forEach((u) => deps.add(u)));
        recorded.push({
          urn: res.getUrn(),
          type: req.getType(),
          name: req.getName(),
          custom: req.getCustom(),
          dependsOn: [...deps],
          ...(req.getParent() ? { parent: req.getParent() } : {}),
        });
      }
      callback(err, res);
    });
  monitor.__fortressRecorder = recorded;
  return recorded;
}

/**
 * The outputs a component registered (`registerOutputs`), as the engine received them: plain
 * data with secrets and resource references in their wire form. Undefined before it has.
 */
export function registeredOutputs(urn: string): Record<string, unknown> | undefined {
  const monitor = mockMonitor();
  if (!monitor.resources)
    throw new Error("this @pulumi/pulumi's mock monitor keeps no resources; update registeredOutputs()");
  const state = monitor.resources.get(urn)?.state as
    { toJavaScript?: () => Record<string, unknown> } | undefined;
  // registerResourceOutputs stores the request's Struct; a registration stores plain state.
  return typeof state?.toJavaScript === "function" ? state.toJavaScript() : undefined;
}

/**
 * Empties the mock monitor's own record of registered resources. Pulumi's monitor keeps every
 * resource ever registered in the process; a bench that evaluates a stack over and over should
 * not make each run pay garbage collection over all the runs before it. Only between runs that
 * have settled: a component still registering its outputs would find itself unknown.
 */
export function forgetRegistrations(): void {
  mockMonitor().resources?.clear();
}

/** The graph to find a critical path in: host commands weigh 1, everything else nothing. */
export function commandGraph(nodes: readonly RegisteredNode[]): GraphNode[] {
  return nodes.map((n) => ({
    id: n.urn,
    dependsOn: n.dependsOn,
    weight: n.type === "command:remote:Command" ? 1 : 0,
  }));
}
