// The lab itself works: hosts boot systemd, reach each other, survive a reboot with their state,
// can be cut off and restored, and nothing is left on this machine afterwards.
import * as assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Lab, LabHost, labLeftovers, startLab } from "./harness";

describe("lab smoke", function () {
  let lab: Lab;
  let a: LabHost;
  let b: LabHost;

  before(async function () {
    const start = Date.now();
    lab = await startLab(["alpha", "bravo"]);
    [a, b] = lab.hosts;
    console.log(`    lab up in ${((Date.now() - start) / 1000).toFixed(1)} s`);
  });

  // Runs even when a test failed; stop() is idempotent.
  after(async function () {
    await lab?.stop();
  });

  it("runs systemd on every host", async function () {
    for (const h of lab.hosts) {
      const state = (await h.exec("systemctl is-system-running --wait", { check: false })).stdout.trim();
      if (state === "degraded") {
        console.log(`    ${h.name} is degraded:\n${(await h.exec("systemctl --failed --no-legend")).stdout}`);
      }
      assert.ok(["running", "degraded"].includes(state), `${h.name}: systemd is ${state}`);
    }
  });

  it("gives each host its own hostname and machine id", async function () {
    const ids = await Promise.all(lab.hosts.map((h) => h.exec("hostname; cat /etc/machine-id")));
    const [[nameA, idA], [nameB, idB]] = ids.map((r) => r.stdout.trim().split("\n"));
    assert.equal(nameA, "alpha");
    assert.equal(nameB, "bravo");
    assert.match(idA, /^[0-9a-f]{32}$/);
    assert.notEqual(idA, idB);
  });

  it("connects the hosts on the lab network", async function () {
    await a.exec(`ping -c 2 -W 2 ${b.address}`);
  });

  it("has WireGuard's userspace implementation and tools", async function () {
    await a.exec("command -v wireguard-go && wg --version");
  });

  it("keeps a host's state across a reboot", async function () {
    const token = randomUUID();
    const bootBefore = (await b.exec(`echo ${token} > /root/lab-token; cat /proc/sys/kernel/random/boot_id`))
      .stdout;
    await b.reboot();
    const r = await b.exec("cat /root/lab-token; cat /proc/sys/kernel/random/boot_id");
    const [readBack, bootAfter] = r.stdout.trim().split("\n");
    assert.equal(readBack, token);
    assert.notEqual(bootAfter, bootBefore.trim(), "the host did not really reboot");
  });

  it("cuts a host off the network and restores it", async function () {
    const ping = `ping -c 1 -W 1 ${b.address}`;
    await b.cut();
    try {
      assert.notEqual((await a.exec(ping, { check: false })).code, 0, "bravo still answers while cut");
    } finally {
      await b.restore();
    }
    // The link comes back at once; allow a few seconds for neighbour discovery anyway.
    await a.exec(`for _ in 1 2 3 4 5; do ${ping} && exit 0; done; exit 1`);
  });

  it("leaves nothing behind after stop", async function () {
    if (process.env.FORTRESS_LAB_KEEP === "1") this.skip();
    await lab.stop();
    assert.deepEqual(labLeftovers(), []);
  });
});
