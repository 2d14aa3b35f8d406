import { createHash } from "crypto";
import * as path from "path";
import { HostBaselineSpec, renderFirewallRuleset, renderSysctlSettings, sysctlModules } from "../../sdk/host";
import { renderScriptFile } from "../../sdk/scripts/render";

const template = (name: string): string => path.join(__dirname, name);

/** The baseline script for one host, ready to run as root. */
export function renderBaselineScript(spec: HostBaselineSpec): string {
  return renderScriptFile(template("baseline.sh"), {
    PACKAGES: spec.packages.join(" "),
    SYSCTL_SETTINGS: renderSysctlSettings(spec.sysctl),
    KERNEL_MODULES: sysctlModules(spec.sysctl).join(" "),
    FIREWALL_ENABLED: spec.firewall.enabled ? "true" : "false",
    FIREWALL_RULESET: spec.firewall.enabled ? renderFirewallRuleset(spec.firewall) : "",
    ROLLBACK_SECONDS: spec.firewall.rollbackSeconds,
  });
}

/** Confirms the ruleset the baseline applied, from a new SSH connection. */
export function renderFirewallConfirmScript(spec: HostBaselineSpec): string {
  const ruleset = renderFirewallRuleset(spec.firewall);
  return renderScriptFile(template("firewall-confirm.sh"), {
    EXPECTED_RULESET_SHA256: createHash("sha256").update(ruleset).digest("hex"),
  });
}

/** Removes what the baseline installed (run on destroy). */
export function renderTeardownScript(): string {
  return renderScriptFile(template("teardown.sh"), {});
}

/**
 * Puts one component's mesh drop-in (see renderMeshDropIn) on a host and reloads the firewall
 * with it; an empty `dropIn` removes it.
 */
export function renderMeshFirewallScript(dropInFile: string, dropIn: string, scriptName: string): string {
  return renderScriptFile(template("mesh-firewall.sh"), {
    SCRIPT_NAME: scriptName,
    DROPIN_FILE: dropInFile,
    DROPIN: dropIn,
  });
}
