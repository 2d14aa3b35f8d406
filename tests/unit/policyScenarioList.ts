// Every scenario of the pack: the first 22, and those written for issue 12.
import { SCENARIOS } from "./policyScenarios";
import { CLOUD_SCENARIOS } from "./policyScenariosClouds";
import { KUBERNETES_SCENARIOS } from "./policyScenariosKubernetes";
import { PLATFORM_SCENARIOS } from "./policyScenariosPlatform";

export const NEW_SCENARIOS = [...CLOUD_SCENARIOS, ...KUBERNETES_SCENARIOS, ...PLATFORM_SCENARIOS];
export const NEW_SCENARIO_COUNT = NEW_SCENARIOS.length;
export const ALL_SCENARIOS = [...SCENARIOS, ...NEW_SCENARIOS];
