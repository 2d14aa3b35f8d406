// The residency model: where data may be, as pure functions that components, the policy pack and
// the residency report share.
export {
  type Adequacy,
  type Country,
  countries,
  findCountry,
  findCountryByName,
  unknownCountryReason,
} from "./countries";
export {
  type AwsRegion,
  type CloudProvider,
  awsRegions,
  cloudProviders,
  findAwsRegion,
  findCloudProvider,
} from "./providers";
export {
  type ControlPlane,
  DataClass,
  type DataFlow,
  type DataStore,
  type Deployment,
  type DeploymentTarget,
  EnforcementLevel,
  type ResidencyNode,
  type ResidencyPolicy,
  type ResidencyRule,
  type Severity,
  type Violation,
  type Workload,
  isPersonalData,
  parseDataClass,
} from "./model";
export {
  type Placement,
  type ResolvedPlacement,
  checkPlacement,
  foreignAccessLawsOf,
  placementLabels,
  resolvePlacement,
} from "./placement";
export {
  type ThirdCountryJurisdiction,
  canHoldData,
  inAllowedCountry,
  thirdCountryJurisdiction,
} from "./compliance";
export { describeNode, describePlacement } from "./wording";
export {
  controlPlaneLocationRule,
  flowOutsideMeshRule,
  foreignJurisdictionRule,
  personalDataLocationRule,
  processingLocationRule,
  replicationTargetRule,
  residencyRules,
  unknownNodeRule,
  workloadAffinityRule,
} from "./rules";
export {
  defaultResidencyPolicy,
  evaluateResidency,
  mandatoryViolations,
  validateResidencyPolicy,
} from "./policy";
export { type ResidencyArgs, checkResidencyNode, enforceResidency } from "./enforce";
export {
  type HostPlacement,
  gtidMySqlNames,
  gtidMySqlResidency,
  k3sClusterResidency,
  kvmNodeResidency,
  mergeResidency,
  argoBootstrapNames,
  argoBootstrapResidency,
  openFaasPlatformNames,
  openFaasPlatformResidency,
} from "./components";
