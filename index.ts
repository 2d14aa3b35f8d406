// The package entry: every component, and the sdk types and functions a consumer needs.
export * from "./components";
export { FortressInputError, InputProblem } from "./sdk/errors";
export * from "./sdk/residency";
export { DEFAULT_SYSCTL, BASELINE_PACKAGES, SysctlSetting } from "./sdk/host";
export * as testing from "./sdk/testing/mocks";
export * from "./sdk/zones";
/** The restore an operator runs on a fresh host (README, "Backups and restore"). */
export { renderRestoreScript } from "./components/gtidMySql/scripts";
