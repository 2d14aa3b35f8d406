import * as path from "path";
import { renderScriptFile } from "../../sdk/scripts/render";

/** The mesh interface, as the seeds name it. */
export const INTERFACE = "wg0";
/** Where each host keeps its private key (mode 0600); it never leaves the host. */
export const KEY_FILE = `/etc/wireguard/${INTERFACE}.key`;

const template = (name: string): string => path.join(__dirname, name);

export function renderKeygenScript(): string {
  return renderScriptFile(template("keygen.sh"), { KEY_FILE });
}

export function renderKeyRemoveScript(): string {
  return renderScriptFile(template("keyremove.sh"), { KEY_FILE });
}

/** Applies one node's rendered configuration (see renderWireGuardConfig). */
export function renderApplyScript(
  config: string,
  address: string,
  prefix: number,
  listenPort: number,
): string {
  return renderScriptFile(template("apply.sh"), {
    INTERFACE,
    CONFIG: config,
    ADDRESS: `${address}/${prefix}`,
    LISTEN_PORT: listenPort,
    KEY_FILE,
  });
}

export function renderTeardownScript(): string {
  return renderScriptFile(template("teardown.sh"), { INTERFACE });
}
