import { InputProblems } from "../errors";
import { Deployment, EnforcementLevel, ResidencyNode, Violation } from "./model";
import { Placement, checkPlacement, placementLabels } from "./placement";
import { evaluateResidency, mandatoryViolations } from "./policy";

/** What a component lets a stack set of the residency policy. */
export interface ResidencyArgs {
  /** ISO codes of the countries where personal data may be. Default `["NO"]`. */
  readonly allowedCountries?: string[];
  /** Enforcement per rule id (`{"replication-target": "advisory"}`); a rule not named keeps its default. */
  readonly enforcement?: { [ruleId: string]: EnforcementLevel };
}

/** A node of a deployment from its name and the placement its user gave; problems recorded. */
export function checkResidencyNode(
  problems: InputProblems,
  name: string,
  placement: Placement,
  propertyPath: string,
): ResidencyNode | undefined {
  const resolved = checkPlacement(problems, placement, propertyPath);
  return resolved && { name, placement: resolved, labels: placementLabels(resolved) };
}

/**
 * The rules where a component is built: a mandatory violation stops it, with the rule, the
 * subject and the fix, before anything runs on a host. Advisory violations come back for the
 * component to warn about.
 */
export function enforceResidency(
  deployment: Deployment,
  residency: ResidencyArgs | undefined,
  propertyPath: string | ((v: Violation) => string),
  subject: string,
): Violation[] {
  const found = evaluateResidency(deployment, {
    ...(residency?.allowedCountries ? { allowedCountries: residency.allowedCountries } : {}),
    ...(residency?.enforcement ? { enforcement: residency.enforcement } : {}),
  });
  const problems = new InputProblems();
  const pathOf = typeof propertyPath === "string" ? () => propertyPath : propertyPath;
  const mandatory = mandatoryViolations(found).map((v) => ({ v, path: pathOf(v) }));
  // Grouped by path, in the order the paths first appear (a component's primary before its replicas).
  const paths = [...new Set(mandatory.map((m) => m.path))];
  for (const path of paths) {
    for (const { v } of mandatory.filter((m) => m.path === path)) {
      problems.add(path, `residency rule ${v.ruleId}: ${v.message} ${v.remediation}`);
    }
  }
  problems.throwIfAny(subject);
  return found.filter((v) => v.enforcement === EnforcementLevel.Advisory);
}
