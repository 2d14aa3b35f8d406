import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { InputProblems } from "../../sdk/errors";
import { renderFirewallRuleset, resolveHostBaseline } from "../../sdk/host";
import { K3S_PORTS, k3sMeshPorts } from "../../sdk/k3s";
import { accountHosts, mySqlMeshPorts } from "../../sdk/mysql";
import {
  Placement,
  ResidencyNode,
  defaultResidencyPolicy,
  placementLabels,
  resolvePlacement,
} from "../../sdk/residency";
import {
  MeshPortDeclaration,
  Zone,
  checkMeshSources,
  meshAllowsOn,
  meshDropInPath,
  reachabilityMarkdown,
  renderMeshDropIn,
  zoneOf,
} from "../../sdk/zones";

const node = (name: string, placement: Placement): ResidencyNode => {
  const p = resolvePlacement(placement);
  return { name, placement: p, labels: placementLabels(p) };
};
const OSLO: Placement = { country: "NO", provider: "coolvds", region: "no-oslo-1" };
const STOCKHOLM_AWS: Placement = { provider: "aws", region: "eu-north-1" };
const policy = defaultResidencyPolicy();

// osl-1, osl-2, osl-3: Fortress; fleet-1: Fleet.
const zones = new Map<string, Zone>([
  ["osl-1", Zone.Fortress],
  ["osl-2", Zone.Fortress],
  ["osl-3", Zone.Fortress],
  ["fleet-1", Zone.Fleet],
]);
const addresses = {
  "osl-1": "10.100.0.1",
  "osl-2": "10.100.0.2",
  "osl-3": "10.100.0.3",
  "fleet-1": "10.100.0.9",
};
const db = mySqlMeshPorts(`GtidMySql "db"`, ["osl-1", "osl-2"], 3306, [], true);
const k3s = k3sMeshPorts(`K3sCluster "k3s"`, ["osl-1", "osl-2", "osl-3"], ["fleet-1"]);

describe("zones on the mesh", () => {
  describe("a node's zone comes from the residency model", () => {
    it("a node that may hold personal data is in the Fortress", () => {
      assert.strictEqual(zoneOf(node("osl-1", OSLO), policy), Zone.Fortress);
    });
    it("a node on a US-owned provider is in the Fleet, even in the EU", () => {
      assert.strictEqual(zoneOf(node("fleet-1", STOCKHOLM_AWS), policy), Zone.Fleet);
    });
    it("a Norwegian provider outside the allowed countries is in the Fleet", () => {
      const sweden = node("sto-1", { country: "SE", provider: "coolvds", region: "se-sto-1" });
      assert.strictEqual(zoneOf(sweden, policy), Zone.Fleet);
      assert.strictEqual(zoneOf(sweden, { ...policy, allowedCountries: ["NO", "SE"] }), Zone.Fortress);
    });
  });

  describe("who may connect", () => {
    it("a Fleet node cannot reach the database, even as a declared source", () => {
      const leaky: MeshPortDeclaration[] = [{ ...db[0], from: ["osl-1", "osl-2", "fleet-1"] }];
      const [allow] = meshAllowsOn("osl-1", leaky, zones);
      assert.deepStrictEqual(allow.from, ["osl-2"]);
      assert.deepStrictEqual(allow.refused, ["fleet-1"]);
    });
    it("the database port is open to the database's own members only, never to itself", () => {
      assert.deepStrictEqual(
        meshAllowsOn("osl-2", db, zones).map((a) => [a.declaration.service, a.from]),
        [["mysql", ["osl-1"]]],
      );
      assert.deepStrictEqual(meshAllowsOn("osl-3", db, zones), []);
    });
    it("the Fleet reaches a Fortress node only on the K3s API and the CNI overlay", () => {
      const open = meshAllowsOn("osl-1", k3s, zones)
        .filter((a) => a.from.includes("fleet-1"))
        .map((a) => `${a.declaration.ports[0]}/${a.declaration.protocol}`);
      assert.deepStrictEqual(open, [`${K3S_PORTS.API}/tcp`, `${K3S_PORTS.FLANNEL_VXLAN}/udp`]);
    });
    it("the kubelet and etcd answer only the K3s servers", () => {
      const byService = Object.fromEntries(
        meshAllowsOn("osl-1", k3s, zones).map((a) => [a.declaration.service, a.from]),
      );
      assert.deepStrictEqual(byService.kubelet, ["osl-2", "osl-3"]);
      assert.deepStrictEqual(byService.etcd, ["osl-2", "osl-3"]);
      const onFleet = Object.fromEntries(
        meshAllowsOn("fleet-1", k3s, zones).map((a) => [a.declaration.service, a.from]),
      );
      assert.deepStrictEqual(onFleet, {
        "flannel-vxlan": ["osl-1", "osl-2", "osl-3"],
        kubelet: ["osl-1", "osl-2", "osl-3"],
      });
    });
    it("one server has no etcd ports at all (k3s keeps its state in sqlite)", () => {
      assert.ok(!k3sMeshPorts("k", ["osl-1"], []).some((d) => d.service === "etcd"));
    });
    it("refuses extra sources that would let a Fleet node in, or are not addresses", () => {
      const nodes = [...zones].map(([name, zone]) => ({
        name,
        zone,
        address: addresses[name as keyof typeof addresses],
      }));
      assert.deepStrictEqual(checkMeshSources(["10.100.0.0/24", "10.42.0.0/16", "%"], nodes), [
        `"10.100.0.0/24" contains the mesh address of the Fleet node "fleet-1" (10.100.0.9)`,
        `"%" is not an IPv4 address or CIDR such as "10.100.0.7" or "10.42.0.0/16"`,
      ]);
      assert.deepStrictEqual(checkMeshSources(["10.100.0.4"], nodes), []);
    });
  });

  describe("database accounts", () => {
    it("bind the admin to the primary and the Fortress members, replication to the replicas", () => {
      assert.deepStrictEqual(
        accountHosts(addresses, "osl-1", ["osl-2", "fleet-1"], ["osl-1", "osl-2"], ["10.100.0.7"]),
        {
          admin: ["10.100.0.1", "10.100.0.2", "10.100.0.7"],
          replication: ["10.100.0.2", "10.100.0.9"],
        },
      );
    });
  });

  describe("the drop-ins", () => {
    it("are named after the component", () => {
      assert.strictEqual(meshDropInPath("mysql", "db_main"), "/etc/fortress/firewall.d/20-mysql-db-main.nft");
    });

    it("load with the baseline's ruleset in the real nft, and only declared sources reach the port", function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-zones-"));
      try {
        const problems = new InputProblems();
        const baseline = resolveHostBaseline({ sshPort: 22 }, problems);
        fs.mkdirSync(path.join(dir, "firewall.d"));
        fs.writeFileSync(
          path.join(dir, "firewall.d", "10-wireguard-wg0.nft"),
          'add element inet fortress udp_ports { 51820 }\nadd element inet fortress mesh_ifaces { "wg0" }\n',
        );
        // Overlapping sources (an address inside a range) merge rather than fail.
        const dbWithPods = mySqlMeshPorts(
          `GtidMySql "db"`,
          ["osl-1", "osl-2"],
          3306,
          ["10.100.0.0/30"],
          true,
        );
        fs.writeFileSync(
          path.join(dir, "firewall.d", "20-mysql-db.nft"),
          renderMeshDropIn("db", meshAllowsOn("osl-1", dbWithPods, zones), addresses),
        );
        fs.writeFileSync(
          path.join(dir, "firewall.d", "20-k3s-k3s.nft"),
          renderMeshDropIn("k3s", meshAllowsOn("osl-1", k3s, zones), addresses),
        );
        const file = path.join(dir, "firewall.nft");
        fs.writeFileSync(
          file,
          renderFirewallRuleset(baseline.firewall).replace("/etc/fortress/firewall.d/", `${dir}/firewall.d/`),
        );
        const listed = execFileSync(
          "unshare",
          ["--net", "sh", "-c", `nft -f ${file} && nft -f ${file} && nft list table inet fortress`],
          { encoding: "utf8" },
        );
        assert.match(listed, /iifname @mesh_ifaces jump mesh_in/);
        assert.doesNotMatch(listed, /iifname @trusted_ifaces accept[\s\S]*"wg0"/);
        assert.match(listed, /set mesh_db_mysql \{[^}]*elements = \{ 10\.100\.0\.0\/30 \}/);
        assert.match(
          listed,
          /set mesh_k3s_k3s_api \{[^}]*elements = \{ 10\.100\.0\.2, 10\.100\.0\.3,\s+10\.100\.0\.9 \}/,
        );
        assert.match(listed, /set mesh_k3s_etcd \{[^}]*elements = \{ 10\.100\.0\.2, 10\.100\.0\.3 \}/);
        // Loaded twice, each rule is there once: a reload replaces, never adds.
        assert.strictEqual(listed.match(/@mesh_db_mysql tcp dport 3306 accept/g)?.length, 1);
        assert.strictEqual(listed.match(/@mesh_k3s_etcd tcp dport 2379-2380 accept/g)?.length, 1);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it("render nothing but a comment where a component opens nothing", () => {
      assert.strictEqual(
        renderMeshDropIn("db", [], addresses)
          .split("\n")
          .filter((l) => l && !l.startsWith("#")).length,
        0,
      );
    });
  });

  describe("the report's who-can-reach-what section", () => {
    it("shows each node's zone, and what reaches it from where", () => {
      const md = reachabilityMarkdown(
        [...zones].map(([name, zone]) => ({ name, zone })),
        [...k3s, ...db],
      );
      assert.match(md, /^## Who can reach what$/m);
      assert.match(md, /^\| fleet-1 \| fleet \|$/m);
      assert.match(md, /^\| osl-1 \| fortress \|$/m);
      assert.match(md, /^### osl-1 \(fortress\)$/m);
      assert.match(md, /^\| 3306\/tcp \| mysql \| GtidMySql "db" \| osl-2 \| - \|$/m);
      assert.match(md, /^\| 6443\/tcp \| k3s-api \| K3sCluster "k3s" \| fleet-1, osl-2, osl-3 \| - \|$/m);
      assert.match(md, /^\| 2379-2380\/tcp \| etcd \| K3sCluster "k3s" \| osl-2, osl-3 \| - \|$/m);
    });
  });
});
