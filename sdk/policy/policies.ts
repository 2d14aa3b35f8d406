// The CrossGuard policies: one per residency rule (the rule's own definition in sdk/residency,
// run over the facts read off the program's resources), and one for the classification tag.
// Kept apart from the pack's entry, which starts a server (see index.ts).
import { PolicyResource, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { EnforcementLevel, ResidencyRule } from "../residency/model";
import { residencyRules } from "../residency/rules";
import { evaluateResidency } from "../residency/policy";
import {
  AWS_CLASSIFIED_TYPES,
  CLASSIFICATION_TAG,
  ResourceFacts,
  declaredClass,
  programFacts,
} from "./facts";

/** Settings a stack gives the pack (`--policy-pack-config`), per policy. */
export interface ResidencyPolicyConfig {
  /** ISO codes of the countries where personal data may be. Default ["NO"]. */
  readonly allowedCountries?: string[];
}

const configSchema = {
  properties: {
    allowedCountries: {
      type: "array" as const,
      items: { type: "string" as const, pattern: "^[A-Za-z]{2}$" },
      default: ["NO"],
    },
  },
};

function facts(resource: PolicyResource): ResourceFacts {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: resource.props,
    providerRegion: resource.provider?.props?.region as string | undefined,
  };
}

/** The CrossGuard policy of one residency rule. */
function rulePolicy(rule: ResidencyRule): StackValidationPolicy {
  return {
    name: `fortress-${rule.id}`,
    description: rule.description,
    enforcementLevel: rule.defaultEnforcement,
    configSchema,
    validateStack: (args, report: ReportViolation) => {
      const { allowedCountries } = args.getConfig<ResidencyPolicyConfig>();
      const program = programFacts(args.resources.map(facts));
      // Only this rule: the others are policies of their own, each with its own enforcement level.
      const enforcement = Object.fromEntries(
        residencyRules.map((r) => [
          r.id,
          r.id === rule.id ? EnforcementLevel.Mandatory : EnforcementLevel.Disabled,
        ]),
      );
      for (const v of evaluateResidency(program.deployment, {
        ...(allowedCountries ? { allowedCountries } : {}),
        enforcement,
      })) {
        report(`${v.message} ${v.remediation}`, program.urns.get(v.subject));
      }
      if (rule.id === "workload-affinity") {
        for (const u of program.unreadable) report(u.message, u.urn);
      }
    },
  };
}

/** Every AWS resource that stores or processes data says what data, with a valid class. */
export const classificationTagPolicy: StackValidationPolicy = {
  name: "fortress-data-classification-tag",
  description: `AWS storage, databases, logs and compute carry a "${CLASSIFICATION_TAG}" tag: personal, special, internal or public.`,
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    for (const r of args.resources) {
      if (!AWS_CLASSIFIED_TYPES.includes(r.type)) continue;
      const tags = (r.props.tags ?? {}) as Record<string, unknown>;
      const declared = declaredClass(tags[CLASSIFICATION_TAG]);
      if (declared.dataClass) continue;
      report(
        declared.problem === "missing"
          ? `${r.type} "${r.name}" has no "${CLASSIFICATION_TAG}" tag, so nobody can tell whether it holds personal data. Tag it personal, special, internal or public.`
          : `${r.type} "${r.name}" has "${CLASSIFICATION_TAG}" ${declared.problem}, which is no data class. Use personal, special, internal or public.`,
        r.urn,
      );
    }
  },
};

/** The pack's policies, in a stable order. */
export const fortressPolicies: StackValidationPolicy[] = [
  ...residencyRules.map(rulePolicy),
  classificationTagPolicy,
];
