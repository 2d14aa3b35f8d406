// The real Kubernetes from mocha: tests/k8s/cluster.sh brings it up (etcd, kube-apiserver,
// controller-manager, scheduler, one real kubelet with containerd, kwok for the other nodes) and
// this file talks to its API server. What the nodes are and what the API server enables come from
// the prod stack's own rendering (the mock engine, as `npm run render` runs it), never retyped.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { scriptOfCommand } from "../../sdk/scripts/render";
import { FortressMocks, RecordedResource, installMocks } from "../../sdk/testing/mocks";

export const CLUSTER_SCRIPT = path.join(__dirname, "cluster.sh");
export const CLUSTER_ID = process.env.FORTRESS_LAB_ID ?? "0";

/** A node as k3s would register it: name, labels and taints from its rendered config.yaml. */
export interface RenderedNode {
  readonly name: string;
  readonly role: "server" | "agent";
  readonly labels: Record<string, string>;
  readonly taints: { key: string; value: string; effect: string }[];
}

export interface RenderedStack {
  readonly nodes: RenderedNode[];
  /** `kube-apiserver-arg` of the first server, as k3s hands them to its API server. */
  readonly apiserverArgs: string[];
  /** `secrets-encryption` of the first server: Secrets encrypted at rest in etcd. */
  readonly secretsEncryption: boolean;
  /** The Kubernetes objects the program creates outside Helm charts, as the provider would send them. */
  readonly objects: KubeObject[];
  /** The Helm releases (not installable here: the charts cannot be fetched). */
  readonly releases: RecordedResource[];
}

export type KubeObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [k: string]: unknown };
  [k: string]: unknown;
};

/** The value of `NAME='...'` in a script rendered by renderTemplate (shellQuote's inverse). */
export function quotedAssignment(script: string, name: string): string {
  const start = script.indexOf(`\n${name}='`);
  if (start < 0) throw new Error(`no ${name}= in the rendered script`);
  let i = start + name.length + 3;
  let value = "";
  for (;;) {
    const end = script.indexOf("'", i);
    if (end < 0) throw new Error(`unterminated ${name}= in the rendered script`);
    value += script.slice(i, end);
    if (script.startsWith(`'\\''`, end)) {
      value += "'";
      i = end + 4;
    } else return value;
  }
}

function parseTaint(t: string): { key: string; value: string; effect: string } {
  const m = /^([^=:]+)(?:=([^:]*))?:(\w+)$/.exec(t);
  if (!m) throw new Error(`unreadable taint "${t}"`);
  return { key: m[1], value: m[2] ?? "", effect: m[3] };
}

/**
 * Renders a stack with the mock engine through stacks/render.ts and reads what k3s would be
 * given: each node's config.yaml (from its configure script) and the Kubernetes objects.
 * `extraConfig` adds stack config keys (e.g. OpenFaaS functions, which prod declares none of).
 */
export async function renderStack(
  stack: string,
  extraConfig: Record<string, unknown> = {},
): Promise<RenderedStack> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-k8s-render-"));
  try {
    const doc = parse(fs.readFileSync(path.join(__dirname, `../../stacks/Pulumi.${stack}.yaml`), "utf8")) as {
      config: Record<string, unknown>;
    };
    const configFile = path.join(tmp, `Pulumi.${stack}.yaml`);
    fs.writeFileSync(configFile, stringify({ config: { ...doc.config, ...extraConfig } }));
    const mocks = installMocks(
      new FortressMocks().onInvoke("aws:ec2/getAmi:getAmi", () => ({
        id: "ami-debian-12",
        name: "debian-12",
      })),
      "fortress",
      stack,
    );
    const { render } = await import("../../stacks/render");
    await render(stack, path.join(tmp, "out"), mocks, configFile);

    const nodes: RenderedNode[] = [];
    let apiserverArgs: string[] | undefined;
    let secretsEncryption = false;
    for (const r of mocks.ofType("command:remote:Command")) {
      const m = /^k3s-(.+)-configure$/.exec(r.name);
      if (!m) continue;
      const script = scriptOfCommand(r.inputs.create as string) ?? "";
      const config = parse(quotedAssignment(script, "CONFIG")) as Record<string, unknown>;
      const role = quotedAssignment(script, "ROLE") as "server" | "agent";
      const labels = Object.fromEntries(
        ((config["node-label"] as string[] | undefined) ?? []).map((l) => {
          const at = l.indexOf("=");
          return [l.slice(0, at), l.slice(at + 1)];
        }),
      );
      const taints = ((config["node-taint"] as string[] | undefined) ?? []).map(parseTaint);
      nodes.push({ name: config["node-name"] as string, role, labels, taints });
      if (role === "server" && !apiserverArgs) {
        apiserverArgs = (config["kube-apiserver-arg"] as string[] | undefined) ?? [];
        secretsEncryption = config["secrets-encryption"] === true;
      }
    }
    if (nodes.length === 0) throw new Error(`stack ${stack} renders no k3s node`);
    const kube = mocks.resources.filter((r) => r.type.startsWith("kubernetes:") && r.custom);
    const releases = kube.filter((r) => r.type === "kubernetes:helm.sh/v3:Release");
    const objects = kube
      .filter((r) => r.type !== "kubernetes:helm.sh/v3:Release" && r.inputs.kind !== undefined)
      .map((r) => r.inputs as KubeObject);
    return { nodes, apiserverArgs: apiserverArgs ?? [], secretsEncryption, objects, releases };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs cluster.sh; its progress goes to our stderr. */
export function clusterScript(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync("bash", [CLUSTER_SCRIPT, ...args], {
    env: { ...process.env, FORTRESS_LAB_ID: CLUSTER_ID, ...env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0) throw new Error(`cluster.sh ${args.join(" ")} exited with ${r.status}`);
  return r.stdout;
}

/** What etcd holds under a key, read inside the cluster's namespace through etcd's JSON gateway. */
export function etcdValue(env: Record<string, string>, key: string): Buffer {
  const out = execFileSync(
    "nsenter",
    [`--net=/run/netns/${env.FORTRESS_K8S_NETNS}`, "curl", "-fsS", "-X", "POST", "http://127.0.0.1:2379/v3/kv/range",
      "-d", JSON.stringify({ key: Buffer.from(key).toString("base64") })],
    { encoding: "utf8" },
  ); // prettier-ignore
  const kvs = (JSON.parse(out) as { kvs?: { value: string }[] }).kvs ?? [];
  if (kvs.length !== 1) throw new Error(`etcd has no ${key}`);
  return Buffer.from(kvs[0].value, "base64");
}

export function clusterEnv(): Record<string, string> {
  return Object.fromEntries(
    clusterScript(["env"])
      .trim()
      .split("\n")
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
}

export class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly body: { message?: string; reason?: string } & Record<string, unknown>,
    what: string,
  ) {
    super(`${what}: ${status} ${body.message ?? JSON.stringify(body)}`);
  }
}

type Discovery = { kind: string; name: string; namespaced: boolean };

/** A small client for the API server, with the admin client certificate. */
export class Kube {
  private readonly agent: https.Agent;
  private readonly discovery = new Map<string, Discovery[]>();

  constructor(private readonly env: Record<string, string>) {
    this.agent = new https.Agent({
      ca: fs.readFileSync(env.FORTRESS_K8S_CA),
      cert: fs.readFileSync(env.FORTRESS_K8S_CERT),
      key: fs.readFileSync(env.FORTRESS_K8S_KEY),
      keepAlive: true,
    });
  }

  request<T = Record<string, unknown>>(
    method: string,
    urlPath: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<T> {
    const url = new URL(urlPath, this.env.FORTRESS_K8S_API);
    const data = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            accept: "application/json",
            ...(data !== undefined
              ? { "content-type": contentType, "content-length": Buffer.byteLength(data) }
              : {}),
          },
          timeout: 30000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: unknown = text;
            try {
              parsed = JSON.parse(text);
            } catch {
              // plain text (logs, /version of some paths)
            }
            if ((res.statusCode ?? 500) >= 300)
              reject(new ApiError(res.statusCode ?? 500, parsed as never, `${method} ${urlPath}`));
            else resolve(parsed as T);
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
      req.on("error", reject);
      if (data !== undefined) req.write(data);
      req.end();
    });
  }

  get<T = Record<string, unknown>>(p: string): Promise<T> {
    return this.request<T>("GET", p);
  }

  private async resourceOf(apiVersion: string, kind: string): Promise<Discovery> {
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    let list = this.discovery.get(base);
    if (!list) {
      const doc = await this.get<{ resources: Discovery[] }>(base);
      list = doc.resources.filter((r) => !r.name.includes("/"));
      this.discovery.set(base, list);
    }
    const found = list.find((r) => r.kind === kind);
    if (!found) throw new Error(`the API server has no ${kind} in ${apiVersion}`);
    return found;
  }

  /** Where an object lives in the API (collection path and item path). */
  async pathOf(
    obj: Pick<KubeObject, "apiVersion" | "kind"> & { metadata: { name?: string; namespace?: string } },
  ) {
    const res = await this.resourceOf(obj.apiVersion, obj.kind);
    const base = obj.apiVersion.includes("/") ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
    const ns = res.namespaced ? `/namespaces/${obj.metadata.namespace ?? "default"}` : "";
    const collection = `${base}${ns}/${res.name}`;
    return { collection, item: `${collection}/${obj.metadata.name ?? ""}` };
  }

  /** Server-side apply, with strict field validation: the API server checks every field. */
  async apply<T = KubeObject>(obj: KubeObject): Promise<T> {
    this.discovery.clear(); // a CRD applied just before adds a kind
    const { item } = await this.pathOf(obj);
    return this.request<T>(
      "PATCH",
      `${item}?fieldManager=fortress-test&force=true&fieldValidation=Strict`,
      obj,
      "application/apply-patch+yaml",
    );
  }

  async create<T = KubeObject>(obj: KubeObject): Promise<T> {
    const { collection } = await this.pathOf(obj);
    return this.request<T>("POST", collection, obj);
  }

  async list<T = KubeObject>(p: string): Promise<T[]> {
    return (await this.get<{ items: T[] }>(p)).items;
  }

  close(): void {
    this.agent.destroy();
  }
}

/** Polls `probe` until it returns something other than undefined, or throws after `ms`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, ms = 60000): Promise<T> {
  const deadline = Date.now() + ms;
  let last = "";
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = ` (${e instanceof Error ? e.message : JSON.stringify(e)})`;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s${last}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** What this cluster may have left on the machine: namespaces, links, processes, mounts, cgroups, folders. */
export function clusterLeftovers(env: Record<string, string>): string[] {
  const found: string[] = [];
  // stderr dropped: `ip link` complains about other veth pairs whose peer namespace it cannot name.
  const ip = (args: string[]) =>
    execFileSync("ip", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  for (const ns of ip(["netns", "list"]).split("\n"))
    if (ns.split(" ")[0] === env.FORTRESS_K8S_NETNS) found.push(`netns ${ns}`);
  for (const l of ip(["-o", "link", "show"]).split("\n")) {
    const name = l.split(": ")[1]?.split("@")[0];
    if (name === env.FORTRESS_K8S_VETH) found.push(`link ${name}`);
  }
  const marks = [env.FORTRESS_K8S_STATE, env.FORTRESS_K8S_RUN, `/run/netns/${env.FORTRESS_K8S_NETNS}`];
  for (const pid of fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    let cmd: string;
    try {
      cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
    } catch {
      continue; // gone meanwhile
    }
    let cgroups = "";
    try {
      cgroups = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8");
    } catch {
      // gone meanwhile
    }
    // Pod processes name no path of ours, but they sit in the kubelet's cgroups.
    if (marks.some((m) => cmd.includes(m)) || cgroups.includes(`${env.FORTRESS_K8S_CGROUP_ROOT}/`))
      found.push(`process ${pid}: ${cmd}`);
  }
  for (const m of fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n"))
    if (marks.some((k) => m.includes(k))) found.push(`mount ${m}`);
  for (const d of fs.readdirSync("/sys/fs/cgroup")) {
    const cg = path.join("/sys/fs/cgroup", d, env.FORTRESS_K8S_CGROUP_ROOT);
    if (fs.existsSync(cg)) found.push(`cgroup ${cg}`);
  }
  for (const d of [env.FORTRESS_K8S_STATE, env.FORTRESS_K8S_RUN])
    if (fs.existsSync(d)) found.push(`folder ${d}`);
  return found;
}
