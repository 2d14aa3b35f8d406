import { InputProblems } from "../errors";
import { findCountry, inProse, unknownCountryReason } from "./countries";
import { Deployment, EnforcementLevel, ResidencyPolicy, Violation } from "./model";
import { residencyRules } from "./rules";

const POLICY_KEYS = ["allowedCountries", "enforcement"];
const LEVELS: readonly string[] = Object.values(EnforcementLevel);

/** Personal data in Norway only, and every rule at its default enforcement. */
export function defaultResidencyPolicy(): ResidencyPolicy {
  return {
    allowedCountries: ["NO"],
    enforcement: Object.fromEntries(residencyRules.map((r) => [r.id, r.defaultEnforcement])),
  };
}

/**
 * Checks a residency policy given as plain input (stack config such as `fortress:residency`) and
 * fills in the defaults. Throws one FortressInputError listing every problem under `propertyPath`:
 * an unknown setting, an unknown country or one without a full EU adequacy decision, an unknown
 * rule id, an unknown enforcement level.
 */
export function validateResidencyPolicy(raw: unknown, propertyPath: string): ResidencyPolicy {
  const defaults = defaultResidencyPolicy();
  if (raw === undefined || raw === null) return defaults;
  const problems = new InputProblems();
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.add(propertyPath, `must be an object with ${POLICY_KEYS.join(" and ")}`);
    problems.throwIfAny(propertyPath);
  }
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    problems.check(
      POLICY_KEYS.includes(key),
      `${propertyPath}.${key}`,
      `is not a residency policy setting; use ${POLICY_KEYS.join(" or ")}`,
    );
  }
  const allowedCountries = checkAllowedCountries(
    problems,
    input.allowedCountries,
    `${propertyPath}.allowedCountries`,
  );
  const enforcement = checkEnforcement(problems, input.enforcement, `${propertyPath}.enforcement`);
  problems.throwIfAny(propertyPath);
  return {
    allowedCountries: allowedCountries ?? defaults.allowedCountries,
    enforcement: { ...defaults.enforcement, ...enforcement },
  };
}

function checkAllowedCountries(problems: InputProblems, raw: unknown, path: string): string[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw) || raw.length === 0) {
    problems.add(path, 'must be a non-empty list of ISO 3166-1 alpha-2 country codes, e.g. ["NO"]');
    return undefined;
  }
  const codes: string[] = [];
  raw.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    if (typeof item !== "string") {
      problems.add(at, `must be a country code such as "NO", not ${JSON.stringify(item)}`);
      return;
    }
    const country = findCountry(item);
    if (!country) {
      problems.add(at, unknownCountryReason(item));
      return;
    }
    // Elsewhere a transfer needs safeguards (contracts, assessments) that no rule here can check.
    if (
      !problems.check(
        country.eea || country.adequacy === "full",
        at,
        `"${country.code}" (${inProse(country.name)}) is outside the EEA without a full EU adequacy decision; ` +
          "allow only EEA countries or countries with one, such as CH or GB",
      )
    ) {
      return;
    }
    if (!codes.includes(country.code)) codes.push(country.code);
  });
  return codes;
}

function checkEnforcement(
  problems: InputProblems,
  raw: unknown,
  path: string,
): Record<string, EnforcementLevel> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.add(path, `must be an object from rule id to enforcement level (${LEVELS.join(", ")})`);
    return undefined;
  }
  const ids = residencyRules.map((r) => r.id);
  const levels: Record<string, EnforcementLevel> = {};
  for (const [id, level] of Object.entries(raw as Record<string, unknown>)) {
    if (
      !problems.check(
        ids.includes(id),
        `${path}.${id}`,
        `is not a residency rule; use one of ${ids.join(", ")}`,
      )
    ) {
      continue;
    }
    const value = typeof level === "string" ? level.trim().toLowerCase() : level;
    if (typeof value === "string" && LEVELS.includes(value)) {
      levels[id] = value as EnforcementLevel;
    } else {
      problems.add(
        `${path}.${id}`,
        `${JSON.stringify(level) ?? "undefined"} is not an enforcement level; use ${LEVELS.join(", ")}`,
      );
    }
  }
  return levels;
}

/**
 * Runs every rule that the policy does not disable over a deployment, and stamps each violation
 * with its rule's enforcement level. The policy is checked first (see validateResidencyPolicy).
 * Violations come in the order of `residencyRules`.
 */
export function evaluateResidency(d: Deployment, policy?: Partial<ResidencyPolicy>): Violation[] {
  const resolved = validateResidencyPolicy(policy ?? {}, "policy");
  return residencyRules.flatMap((rule) => {
    const enforcement = resolved.enforcement[rule.id] ?? rule.defaultEnforcement;
    if (enforcement === EnforcementLevel.Disabled) return [];
    return rule.check(d, resolved).map((v) => ({ ...v, enforcement }));
  });
}

/** The violations that stop a deployment. */
export function mandatoryViolations(v: readonly Violation[]): Violation[] {
  return v.filter((x) => x.enforcement === EnforcementLevel.Mandatory);
}
