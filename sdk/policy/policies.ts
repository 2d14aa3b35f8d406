// The CrossGuard policies. Stack policies (one per residency rule, the classification tag, the
// advisory for unclassified resources) get every resource's OUTPUTS from the engine, after the
// update: a component's outputs are what it registered, so each Fortress component registers its
// residency facts. One resource policy gets each resource's INPUTS before the resource is created
// (at preview and at update), so a violation stops the step before any host or bucket exists.
// Kept apart from the pack's entry, which starts a server (see index.ts).
import {
  PolicyResource,
  ReportViolation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";
import { EnforcementLevel, ResidencyRule } from "../residency/model";
import { residencyRules } from "../residency/rules";
import { evaluateResidency, mandatoryViolations } from "../residency/policy";
import { CLASSIFICATION_TAG } from "./cloud";
import { DATA_CLASS_LABEL, ProgramFacts, PropsKind, ResourceFacts, programFacts } from "./facts";
import { plainProps } from "./props";

/** Settings a stack gives the pack (`--policy-pack-config`), per policy. */
export interface ResidencyPolicyConfig {
  /** ISO codes of the countries where personal data may be. Default ["NO"]. */
  readonly allowedCountries?: string[];
  /** The stack's `aws:region`, for AWS resources whose region neither they nor their provider name. */
  readonly awsRegion?: string;
}

const configSchema = {
  properties: {
    allowedCountries: {
      type: "array" as const,
      items: { type: "string" as const, pattern: "^[A-Za-z]{2}$" },
      default: ["NO"],
    },
    awsRegion: { type: "string" as const, pattern: "^[a-z]{2}(-[a-z]+)+-\\d$" },
  },
};

/** A resource as the engine hands it to a policy, read into plain facts. */
function factsOf(resource: PolicyResource): ResourceFacts {
  return {
    type: resource.type,
    name: resource.name,
    urn: resource.urn,
    props: plainProps(resource.props),
    providerProps: plainProps(resource.provider?.props),
  };
}

const read = (resources: readonly PolicyResource[], kind: PropsKind, config: ResidencyPolicyConfig) =>
  programFacts(resources.map(factsOf), kind, config.awsRegion ? { awsRegion: config.awsRegion } : {});

/** Only `ruleId` runs: each rule is a policy of its own, with its own enforcement level. */
const only = (ruleId: string) =>
  Object.fromEntries(
    residencyRules.map((r) => [
      r.id,
      r.id === ruleId ? EnforcementLevel.Mandatory : EnforcementLevel.Disabled,
    ]),
  );

function reportRule(
  program: ProgramFacts,
  ruleId: string,
  config: ResidencyPolicyConfig,
  report: ReportViolation,
) {
  const policy = {
    ...(config.allowedCountries ? { allowedCountries: config.allowedCountries } : {}),
    enforcement: only(ruleId),
  };
  for (const v of evaluateResidency(program.deployment, policy)) {
    report(`${v.message} ${v.remediation}`, program.urns.get(v.subject));
  }
}

/** The stack policy of one residency rule, over the outputs of every resource. */
function rulePolicy(rule: ResidencyRule): StackValidationPolicy {
  return {
    name: `fortress-${rule.id}`,
    description: rule.description,
    enforcementLevel: rule.defaultEnforcement,
    configSchema,
    validateStack: (args, report) => {
      const config = args.getConfig<ResidencyPolicyConfig>();
      const program = read(args.resources, "outputs", config);
      reportRule(program, rule.id, config, report);
      // What could not be read is reported once, by the rule that needs the most facts.
      if (rule.id === "unknown-node") for (const u of program.unreadable) report(u.message, u.urn);
    },
  };
}

/** Every cloud resource that says what data it holds says it with a valid class. */
export const classificationTagPolicy: StackValidationPolicy = {
  name: "fortress-data-classification-tag",
  description: `Cloud storage, databases, logs and compute carry a "${CLASSIFICATION_TAG}" tag (a label on Google Cloud): personal, special, internal or public.`,
  enforcementLevel: "mandatory",
  configSchema,
  validateStack: (args, report) => {
    for (const u of read(args.resources, "outputs", args.getConfig<ResidencyPolicyConfig>()).invalidClass)
      report(u.message, u.urn);
  },
};

/** Any other resource of a provider under a foreign access law, or an unclassified volume claim: an advisory naming the tag or label. */
export const unclassifiedResourcePolicy: StackValidationPolicy = {
  name: "fortress-unclassified-resource",
  description: `Resources of a US-owned cloud without a "${CLASSIFICATION_TAG}" tag or label, and PersistentVolumeClaims without a "${DATA_CLASS_LABEL}" label that no classified workload mounts, cannot be judged: set it.`,
  enforcementLevel: "advisory",
  configSchema,
  validateStack: (args, report) => {
    for (const u of read(args.resources, "outputs", args.getConfig<ResidencyPolicyConfig>()).unclassified)
      report(u.message, u.urn);
  },
};

/**
 * Every rule over one resource's own inputs, before it is created: a classified cloud resource at
 * its region, a Fortress component with the nodes its args name. Kubernetes objects are left to the
 * stack policies: where their pods may run depends on other objects (namespaces, claims).
 */
export const beforeCreatePolicy: ResourceValidationPolicy = {
  name: "fortress-residency-before-create",
  description:
    "The residency rules over each resource's inputs before it is created, at preview and at update, " +
    "so a violation stops the step before anything holds data.",
  enforcementLevel: "mandatory",
  configSchema,
  validateResource: (args, report) => {
    if (args.type.startsWith("kubernetes:")) return;
    const config = args.getConfig<ResidencyPolicyConfig>();
    const program = read([args as unknown as PolicyResource], "inputs", config);
    const found = evaluateResidency(program.deployment, {
      ...(config.allowedCountries ? { allowedCountries: config.allowedCountries } : {}),
    });
    for (const v of mandatoryViolations(found)) report(`${v.ruleId}: ${v.message} ${v.remediation}`);
    for (const u of program.invalidClass) report(`data-classification-tag: ${u.message}`);
  },
};

/** The pack's policies, in a stable order. */
export const fortressPolicies: (StackValidationPolicy | ResourceValidationPolicy)[] = [
  ...residencyRules.map(rulePolicy),
  classificationTagPolicy,
  unclassifiedResourcePolicy,
  beforeCreatePolicy,
];
