// A small deployment engine for the lab: Pulumi mocks that, instead of pretending, run every
// `remote.Command` for real on the lab host its connection names, over SSH, exactly as
// @pulumi/command would (the `create` string to the login shell, `stdin` to its input), and
// hand the real stdout back to the program. The Pulumi runtime orders the commands by their
// data dependencies and dependsOn, as a real `pulumi up` would. So the lab runs the very scripts
// the components render, never a copy.
import * as pulumi from "@pulumi/pulumi";
import { FortressMocks, MockResult, installMocks, settle } from "../../sdk/testing/mocks";
import { Lab, LabHost } from "./harness";

export interface CommandRun {
  readonly name: string;
  readonly host: string;
  readonly stdout: string;
  readonly stderr: string;
}

interface CommandInputs {
  connection: { host: string };
  create: string;
  delete?: string;
  stdin?: string;
}

export class LabEngine extends FortressMocks {
  lab?: Lab;
  /**
   * Commands to record but not run: to stop a deployment halfway, as a failed run would, or to
   * leave a host alone as Pulumi does when its commands did not change (a host that is gone).
   */
  skip?: (name: string) => boolean;
  /** Told when a command fails: a failed registration never resolves the program's outputs. */
  onFailure?: (e: Error) => void;
  /** Every command run since the last reset, in the order it ran. */
  readonly runs: CommandRun[] = [];
  /** What `destroy` would run: the latest delete command of each command, by name. */
  private readonly deletes = new Map<string, { host: LabHost; command: string }>();
  /** The commands the program registered since the last reset (run or skipped). */
  private readonly registered = new Set<string>();
  /** What each command that ran last returned, by name: the state Pulumi keeps between deployments. */
  private readonly state = new Map<string, MockResult>();
  /** Commands registered to ignore their inputs (`ignoreChanges`), which the mocks do not see. */
  private readonly frozen = new Set<string>();

  /**
   * Pass in a component's `transformations`: the engine then does what Pulumi does with a command
   * that ignores its inputs (a frozen host step): if it exists, it runs nothing and keeps its state.
   */
  readonly observe: pulumi.ResourceTransformation = (a) => {
    if (a.opts.ignoreChanges?.includes("create")) this.frozen.add(a.name);
    else this.frozen.delete(a.name);
    return undefined;
  };

  /**
   * A new lab is a new stack: what the last lab's commands returned, and which were frozen, must
   * not carry over to hosts of the same names in the next test file.
   */
  useLab(lab: Lab): void {
    this.lab = lab;
    this.state.clear();
    this.frozen.clear();
    this.deletes.clear();
  }

  override reset(): void {
    super.reset();
    this.runs.length = 0;
    this.registered.clear();
  }

  private hostAt(address: string): LabHost {
    const host = this.lab?.hosts.find((h) => h.address === address);
    if (!host) throw new Error(`no lab host at ${address}: the lab only runs commands on its own hosts`);
    return host;
  }

  override async newResource(args: pulumi.runtime.MockResourceArgs): Promise<MockResult> {
    const result = this.record(args);
    if (args.type !== "command:remote:Command") return result;
    const inputs = this.resources[this.resources.length - 1].inputs as unknown as CommandInputs;
    const host = this.hostAt(inputs.connection.host);
    this.registered.add(args.name);
    // A command that does not run keeps what its last run returned, as in Pulumi's state (a
    // skipped mesh key step still gives the host's real public key).
    const kept = this.state.get(args.name);
    if (this.skip?.(args.name)) return kept ?? result;
    if (kept && this.frozen.has(args.name)) return kept;
    const r = await host.exec(inputs.create, { stdin: inputs.stdin, check: false });
    if (r.code !== 0) {
      const e = new Error(`${args.name} failed on ${host.name} (exit ${r.code}):\n${r.stderr}${r.stdout}`);
      this.onFailure?.(e);
      throw e;
    }
    this.runs.push({ name: args.name, host: host.name, stdout: r.stdout, stderr: r.stderr });
    // Re-inserted, so the map keeps the order of the last deployment.
    this.deletes.delete(args.name);
    if (inputs.delete) this.deletes.set(args.name, { host, command: inputs.delete });
    const ran = { id: result.id, state: { ...result.state, stdout: r.stdout, stderr: r.stderr } };
    this.state.set(args.name, ran);
    return ran;
  }

  /**
   * Runs what `pulumi destroy` would: each command's delete, dependents first (the reverse of the
   * order they were created in), once.
   */
  async destroy(): Promise<CommandRun[]> {
    const ran: CommandRun[] = [];
    for (const [name, d] of [...this.deletes].reverse()) {
      const r = await d.host.exec(d.command);
      ran.push({ name, host: d.host.name, stdout: r.stdout, stderr: r.stderr });
    }
    this.deletes.clear();
    return ran;
  }

  /**
   * Runs what `pulumi up` runs last for the commands the program no longer has (a node that left):
   * their delete, dependents first, once. Call it after a deployment, as the end of that `up`.
   */
  async pruneGone(): Promise<CommandRun[]> {
    const ran: CommandRun[] = [];
    for (const [name, d] of [...this.deletes].reverse()) {
      if (this.registered.has(name)) continue;
      const r = await d.host.exec(d.command);
      ran.push({ name, host: d.host.name, stdout: r.stdout, stderr: r.stderr });
      this.deletes.delete(name);
    }
    return ran;
  }

  /** The runs of commands whose name ends with `suffix` (`-baseline`), by host. */
  ran(suffix: string): CommandRun[] {
    return this.runs.filter((r) => r.name.endsWith(suffix));
  }
}

/** Installs the lab engine as the Pulumi mocks of this process (before any component is built). */
export const engine = installMocks(new LabEngine(), "fortress", "lab");

/** Builds a program against the lab and waits until every command it asked for has run. */
export async function deploy<T>(program: () => T, wait: (built: T) => pulumi.Output<unknown>[]): Promise<T> {
  const failed = new Promise<never>((_, reject) => (engine.onFailure = reject));
  try {
    const built = program();
    await Promise.race([
      failed,
      Promise.all(wait(built).map((o) => new Promise((resolve) => o.apply(resolve)))),
    ]);
    await Promise.race([failed, settle()]);
    return built;
  } catch (e) {
    // The failed deployment's dependents never finish registering, and the runtime would wait for
    // them before every later deployment: start it afresh, as a new `pulumi up` would.
    installMocks(engine, "fortress", "lab");
    throw e;
  } finally {
    engine.onFailure = undefined;
  }
}
