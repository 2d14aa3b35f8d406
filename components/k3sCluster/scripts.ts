import * as path from "path";
import { K3sNodePlan } from "../../sdk/k3s";
import { renderScriptFile } from "../../sdk/scripts/render";

/** Where each node keeps the join token (mode 0600); config.yaml only names the file. */
export const TOKEN_FILE = "/etc/rancher/k3s/token";
/** How long a restarted node may take to be ready before its configuration is rolled back. */
export const READY_TIMEOUT_SECONDS = 300;

const template = (name: string): string => path.join(__dirname, name);

export interface K3sInstallSource {
  readonly version: string;
  /** Air-gapped mirror base URL, or "" for the upstream installer. */
  readonly mirror: string;
  readonly installScriptUrl: string;
}

export function renderInstallScript(plan: K3sNodePlan, source: K3sInstallSource): string {
  return renderScriptFile(template("install.sh"), {
    VERSION: source.version,
    ROLE: plan.role,
    MIRROR: source.mirror,
    INSTALL_SCRIPT_URL: source.installScriptUrl,
  });
}

export function renderConfigureScript(plan: K3sNodePlan, configYaml: string): string {
  return renderScriptFile(template("configure.sh"), {
    ROLE: plan.role,
    NODE_NAME: plan.name,
    CONFIG: configYaml,
    TOKEN_FILE,
    READY_TIMEOUT: READY_TIMEOUT_SECONDS,
  });
}

export function renderKubeconfigScript(apiEndpoint: string): string {
  return renderScriptFile(template("kubeconfig.sh"), { API_ENDPOINT: apiEndpoint });
}

export function renderUninstallScript(plan: K3sNodePlan): string {
  return renderScriptFile(template("uninstall.sh"), { ROLE: plan.role });
}
