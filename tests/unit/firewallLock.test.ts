import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { commonShellLibrary } from "../../sdk/scripts/render";

describe("firewall drop-ins on one host", () => {
  it("are changed one at a time: a step waits while another holds the firewall lock", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-fwlock-"));
    try {
      const script = `set -euo pipefail
FORTRESS_SCRIPT=test
${commonShellLibrary()}
dir=${JSON.stringify(dir)}
export FORTRESS_FIREWALL_LOCK_FILE=$dir/lock
( exec 9>"$FORTRESS_FIREWALL_LOCK_FILE"; flock 9; echo held >>"$dir/log"; sleep 0.5; echo released >>"$dir/log" ) &
until grep -q held "$dir/log" 2>/dev/null; do sleep 0.05; done
install_firewall_dropin "$dir/10-test.nft" "# a drop-in"
echo written >>"$dir/log"
wait
`;
      const r = spawnSync("bash", ["-c", script], { encoding: "utf8", timeout: 30_000 });
      assert.strictEqual(r.status, 0, r.stderr);
      assert.deepStrictEqual(fs.readFileSync(path.join(dir, "log"), "utf8").split("\n"), [
        "held",
        "released",
        "written",
        "",
      ]);
      assert.strictEqual(fs.readFileSync(path.join(dir, "10-test.nft"), "utf8"), "# a drop-in");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
