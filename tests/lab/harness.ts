// The lab from mocha: real Debian 12 hosts (systemd, sshd) run by tests/lab/lab.sh, each in its
// own network namespace, reached over real SSH. Needs root. See tests/lab/README.md.
import * as assert from "assert";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import { constants } from "node:os";
import * as path from "node:path";

export const LAB_SCRIPT = path.join(__dirname, "lab.sh");
/** Labs with different FORTRESS_LAB_ID (0-9) run side by side; names below follow lab.sh. */
export const LAB_ID = process.env.FORTRESS_LAB_ID ?? "0";
export const LAB_DIR =
  process.env.FORTRESS_LAB_DIR ??
  (LAB_ID === "0" ? "/var/lib/fortress-lab" : `/var/lib/fortress-lab${LAB_ID}`);
/** The lab's SSH private key (ed25519); its public half is root's authorized key on every host. */
export const LAB_PRIVATE_KEY_PATH = path.join(LAB_DIR, "id_ed25519");
/** FORTRESS_LAB_KEEP=1 leaves the hosts running after the tests, for debugging. */
const KEEP = process.env.FORTRESS_LAB_KEEP === "1";

const SSH_OPTIONS = [
  "-i", LAB_PRIVATE_KEY_PATH,
  "-o", "StrictHostKeyChecking=no",
  "-o", "UserKnownHostsFile=/dev/null",
  "-o", "BatchMode=yes",
  "-o", "LogLevel=ERROR",
  "-o", "ConnectTimeout=10",
]; // prettier-ignore

export interface ExecResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface ExecOptions {
  /** Written to the command's stdin (how scripts and secrets go in; never logged). */
  stdin?: string;
  /** Reject when the command exits non-zero. Default true. */
  check?: boolean;
}

/** The shape of @pulumi/command's `remote.ConnectionArgs`, as a KvmNode receives it. */
export interface LabConnection {
  host: string;
  port: number;
  user: string;
  privateKey: string;
}

export class ExecError extends Error {
  constructor(
    what: string,
    public readonly result: ExecResult,
  ) {
    super(`${what} exited with ${result.code}\n--- stdout\n${result.stdout}--- stderr\n${result.stderr}`);
  }
}

/** Runs a program to completion; `echo` copies its stderr to ours as it comes (lab progress). */
function run(
  file: string,
  args: string[],
  what: string,
  opts: ExecOptions & { echo?: boolean } = {},
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [opts.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (d: Buffer) => out.push(d));
    child.stderr?.on("data", (d: Buffer) => {
      err.push(d);
      if (opts.echo) process.stderr.write(d);
    });
    if (opts.stdin !== undefined) {
      child.stdin?.on("error", () => undefined); // the command may exit without reading it all
      child.stdin?.end(opts.stdin);
    }
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = {
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        code: code ?? 128 + (signal ? constants.signals[signal] : 0),
      };
      if (result.code !== 0 && opts.check !== false) reject(new ExecError(what, result));
      else resolve(result);
    });
  });
}

function lab(args: string[]): Promise<ExecResult> {
  return run(LAB_SCRIPT, args, `lab.sh ${args.join(" ")}`, { echo: true });
}

export class LabHost {
  constructor(
    public readonly name: string,
    public readonly address: string,
  ) {}

  /** Runs `cmd` with root's shell on the host over SSH. */
  exec(cmd: string, opts: ExecOptions = {}): Promise<ExecResult> {
    return run("ssh", [...SSH_OPTIONS, `root@${this.address}`, "--", cmd], `${this.name}: ${cmd}`, opts);
  }

  /** Reboots the host (its writable layer survives) and waits until SSH answers again. */
  async reboot(): Promise<void> {
    await lab(["reboot", this.name]);
  }

  /** A power cut: every process of the host dies at once; its files stay as they were written. */
  async kill(): Promise<void> {
    await lab(["kill", this.name]);
  }

  /** Boots a killed host again (same files, same address) and waits until SSH answers. */
  async start(): Promise<void> {
    await lab(["start", this.name]);
  }

  /** Takes the host's link down (a network cut); its processes keep running. */
  async cut(): Promise<void> {
    await lab(["cut", this.name]);
  }

  async restore(): Promise<void> {
    await lab(["restore", this.name]);
  }

  /** What a component needs to reach this host, the private key as a string. */
  connection(): LabConnection {
    return {
      host: this.address,
      port: 22,
      user: "root",
      privateKey: fs.readFileSync(LAB_PRIVATE_KEY_PATH, "utf8"),
    };
  }
}

export class Lab {
  private stopped = false;

  constructor(public readonly hosts: LabHost[]) {}

  host(name: string): LabHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no lab host ${name}`);
    return h;
  }

  /** Stops every lab host and removes the bridge (unless FORTRESS_LAB_KEEP=1). Idempotent. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (KEEP) {
      running = false;
      process.stderr.write(
        `lab: FORTRESS_LAB_KEEP=1, leaving ${this.hosts.map((h) => h.name).join(", ")} up\n`,
      );
      return;
    }
    await lab(["down-all"]);
    running = false; // only now: an interrupt during down-all still cleans up on exit
  }
}

// One lab at a time (stop is `down-all`). While it runs, it is cleaned up synchronously if the
// process exits or is interrupted before stop() is called.
let running = false;
let handlersInstalled = false;

function cleanupNow(): void {
  if (!running || KEEP) return;
  running = false;
  try {
    execFileSync(LAB_SCRIPT, ["down-all"], { stdio: ["ignore", "ignore", "inherit"] });
  } catch {
    // nothing more we can do while exiting
  }
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", cleanupNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    process.once(signal, () => {
      cleanupNow();
      process.exit(128 + constants.signals[signal]);
    });
  }
}

/**
 * Boots one lab host per name (addresses 10.231.<lab id>.11, .12, ... in order), in parallel, after
 * removing whatever an earlier run left behind and building the image if it is missing or stale.
 */
export async function startLab(names: string[]): Promise<Lab> {
  if (process.getuid?.() !== 0) throw new Error("the lab needs root (network namespaces, systemd-nspawn)");
  if (new Set(names).size !== names.length) throw new Error(`duplicate lab host names: ${names.join(", ")}`);
  installHandlers();
  await lab(["down-all"]);
  await lab(["image"]);
  running = true;
  // allSettled, not all: on a failure, every `up` must be over before down-all cleans up.
  const ups = await Promise.allSettled(names.map((name, i) => lab(["up", name, String(i + 1)])));
  const failed = ups.find((u) => u.status === "rejected");
  if (failed) {
    running = false;
    if (!KEEP) await lab(["down-all"]).catch(() => undefined);
    throw failed.reason;
  }
  return new Lab(
    ups.map((u, i) => new LabHost(names[i], (u as PromiseFulfilledResult<ExecResult>).value.stdout.trim())),
  );
}

/** What the lab leaves on this machine while hosts run; empty after a clean stop. */
export function labLeftovers(): string[] {
  const found: string[] = [];
  const ipOut = (args: string[]) => execFileSync("ip", args, { encoding: "utf8" });
  for (const ns of ipOut(["netns", "list"]).split("\n"))
    if (ns.startsWith(`flab${LAB_ID}-`)) found.push(`netns ${ns}`);
  for (const l of ipOut(["-o", "link", "show"]).split("\n")) {
    const name = l.split(": ")[1]?.split("@")[0];
    if (name && (name === `flab${LAB_ID}` || new RegExp(`^flv${LAB_ID}-\\d+$`).test(name)))
      found.push(`link ${name}`);
  }
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue; // gone meanwhile
    }
    if (
      cmd.includes(`--network-namespace-path=/run/netns/flab${LAB_ID}-`) ||
      cmd.includes(`lab.sh _run ${LAB_ID} `)
    ) {
      found.push(`process ${pid}: ${cmd}`);
    }
  }
  for (const m of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    if (m.includes(LAB_DIR) || m.includes(`/run/netns/flab${LAB_ID}-`)) found.push(`mount ${m}`);
  }
  try {
    execFileSync("nft", ["list", "table", "inet", `fortress_lab${LAB_ID}`], { stdio: "ignore" });
    found.push(`nft table inet fortress_lab${LAB_ID}`);
  } catch {
    // absent, as it should be
  }
  for (const cg of [`/sys/fs/cgroup/unified/flab${LAB_ID}`, `/sys/fs/cgroup/systemd/flab${LAB_ID}`]) {
    if (fs.existsSync(cg)) found.push(`cgroup ${cg}`);
  }
  return found;
}

/** After a destroy: no mesh interface, no firewall table, no file the host layer installed. */
export async function assertHostLayerRemoved(h: LabHost): Promise<void> {
  assert.notStrictEqual((await h.exec("ip link show wg0", { check: false })).code, 0, `${h.name}: wg0 is up`);
  assert.notStrictEqual((await h.exec("nft list table inet fortress", { check: false })).code, 0, h.name);
  const left = await h.exec(
    "find /etc/wireguard /etc/sysctl.d/99-fortress.conf /etc/fortress /etc/modules-load.d/fortress.conf " +
      "/etc/systemd/system/fortress-firewall.service -type f 2>/dev/null",
    { check: false },
  );
  assert.strictEqual(left.stdout, "", `${h.name} still has files the components installed`);
}
