// The layers a stack builds on its nodes, as its config gives them: `fortress:mesh`,
// `fortress:openfaas` and `fortress:argo`, checked by the same pure functions the components call
// (so a bad value fails before any node is registered, not after, under `up --skip-preview`), with
// the residency facts of the platform from the components' own facts functions.
import { checkArgoArgs } from "./argo";
import { InputProblems, joinPath } from "./errors";
import { checkOpenFaasArgs } from "./openfaas";
import { Deployment, argoBootstrapResidency, openFaasPlatformResidency } from "./residency";
import { checkKeys } from "./validate";
import { WIREGUARD_MESH_KEYS, checkMeshSettings } from "./wireguard";

/** Runs a component's check on a fresh list and records its problems under the config key. */
function underKey(out: InputProblems, key: string, check: (problems: InputProblems) => void): void {
  const problems = new InputProblems();
  check(problems);
  for (const p of problems.list) out.add(joinPath(key, p.propertyPath), p.reason);
}

/** `fortress:mesh`: WireGuardMesh's settings over the stack's nodes, which the stack joins itself. */
export function checkMeshConfig(
  out: InputProblems,
  raw: Record<string, unknown>,
  nodeNames: readonly string[],
): void {
  underKey(out, "fortress:mesh", (problems) => {
    const { nodes, ...settings } = raw;
    problems.check(
      nodes === undefined,
      "nodes",
      "is set by the stack: the mesh joins every node of fortress:nodes, so leave it out",
    );
    const known = WIREGUARD_MESH_KEYS.filter((k) => k !== "nodes");
    checkKeys(problems, settings, known, "", "mesh");
    checkMeshSettings(problems, settings, nodeNames);
  });
}

/**
 * `fortress:openfaas`: OpenFaasPlatform's args, the license aside (a secret, from
 * `fortress:openfaasLicense`). Returns the platform's residency facts.
 */
export function checkOpenFaasConfig(
  out: InputProblems,
  raw: Record<string, unknown>,
  name: string,
  licensed: boolean,
): Deployment {
  underKey(out, "fortress:openfaas", (problems) => {
    problems.check(
      raw.license === undefined,
      "license",
      "is a secret and would sit in plain config: set it with " +
        "`pulumi config set --secret fortress:openfaasLicense` instead",
    );
    checkOpenFaasArgs(problems, { ...raw, license: undefined }, licensed);
  });
  const functions = Array.isArray(raw.functions) ? (raw.functions as { name?: unknown }[]) : [];
  return openFaasPlatformResidency(
    name,
    functions.flatMap((f) => (typeof f?.name === "string" ? [f.name] : [])),
  );
}

/** `fortress:argo`: ArgoBootstrap's args. Returns its residency facts. */
export function checkArgoConfig(out: InputProblems, raw: Record<string, unknown>, name: string): Deployment {
  let facts: Deployment = { nodes: [] };
  underKey(out, "fortress:argo", (problems) => {
    const { settings } = checkArgoArgs(problems, raw);
    facts = argoBootstrapResidency(name, String(raw.repoUrl), String(raw.path), settings);
  });
  return facts;
}
