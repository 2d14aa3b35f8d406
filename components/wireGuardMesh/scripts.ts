import * as path from "path";
import { renderScriptFile } from "../../sdk/scripts/render";
import { DEFAULT_MESH } from "../../sdk/wireguard";

/** The mesh interface, as the seeds name it. */
export const INTERFACE = DEFAULT_MESH.interfaceName;
/** Where each host keeps its private key (mode 0600); it never leaves the host. */
export const KEY_FILE = `/etc/wireguard/${INTERFACE}.key`;

const template = (name: string): string => path.join(__dirname, name);

/** Makes the node's key; a `generation` other than the host's makes a new one (a key rotation). */
export function renderKeygenScript(generation = 0): string {
  return renderScriptFile(template("keygen.sh"), { KEY_FILE, GENERATION: generation });
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
