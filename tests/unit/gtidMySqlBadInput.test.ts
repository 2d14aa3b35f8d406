import * as assert from "assert";
import { GtidMySql, GtidMySqlArgs, MySqlFlavour } from "../../components/gtidMySql/gtidMySql";
import { serverIdOf } from "../../sdk/mysql";
import { DataClass } from "../../sdk/residency";
import { mocks, registeredOptions } from "./setup";
import { host, addresses, osl } from "./gtidMySqlFixtures";

// GtidMySql refuses bad input at preview, with the property path and what would be valid.

describe("GtidMySql", () => {
  beforeEach(() => {
    mocks.reset();
    registeredOptions.clear();
  });

  describe("bad input fails at preview", () => {
    const fails = (args: Partial<GtidMySqlArgs>, message: string) =>
      assert.throws(() => new GtidMySql("bad", { primary: osl(1), replicas: [osl(2)], addresses, ...args }), {
        message,
      });

    it("no primary", () =>
      fails(
        { primary: undefined, replicas: [] },
        "primary: is required: the node that takes the writes (`KvmNode.host()`)",
      ));
    it("a replica twice", () =>
      fails({ replicas: [osl(2), osl(2)] }, 'replicas[1].name: "osl-2" is a replica twice; list it once'));
    it("the primary as a replica", () =>
      fails(
        { replicas: [osl(1)] },
        'replicas[0].name: "osl-1" is the primary; a node is the primary or a replica, not both',
      ));
    it("an unknown flavour", () =>
      fails(
        { flavour: "postgres" as MySqlFlavour },
        'flavour: "postgres" is not a MySQL flavour; use "mysql84" (MySQL 8.4 LTS, the default), "mysql80" (MySQL 8.0, end of life) or "mariadb" (MariaDB as Debian ships it)',
      ));
    it("a port out of range", () =>
      fails({ port: 70000 }, "port: 70000 is not a valid port; use a whole number from 1 to 65535"));
    it("an unknown data class", () =>
      fails(
        { dataClass: "secret" as DataClass },
        'dataClass: "secret" is not a data class; use one of personal, special, internal, public (special is GDPR article 9 data)',
      ));
    it("a node name that cannot name a child", () =>
      fails(
        { replicas: [host("Osl_2", "185.1.2.2")] },
        'replicas[0].name: "Osl_2" is not a node name; use lower-case letters, digits and "-", starting with a letter',
      ));
    it("a node without a mesh address, and one that is no IP address", () =>
      fails(
        { addresses: { "osl-1": "osl-1.mesh" } },
        [
          'GtidMySql "bad" has 2 invalid inputs:',
          '  - addresses["osl-1"]: "osl-1.mesh" is not an IP address; give each node\'s mesh address (WireGuardMesh.addresses)',
          '  - addresses["osl-2"]: is missing: give the mesh address of node "osl-2"',
        ].join("\n"),
      ));
    it("binary logs kept for no day", () =>
      fails({ binlogRetentionDays: 0 }, "binlogRetentionDays: 0 is out of range; use 1 to 365 days"));
    it("a pinned server_id another node has", () =>
      fails(
        { serverIds: { "osl-2": serverIdOf("osl-1") } },
        'serverIds["osl-2"]: node "osl-2" gets server_id 697887281, which node "osl-1" has too; server ids must be unique, so pin another one for "osl-2" (e.g. 1)',
      ));
    it("a server_id for a node that is not there", () =>
      fails(
        { serverIds: { "osl-9": 9 } },
        'serverIds["osl-9"]: names no node of the database; nodes are osl-1, osl-2',
      ));
    it("several at once, one per line", () =>
      fails(
        { replicas: [osl(2), osl(2), osl(1)], flavour: "postgres" as MySqlFlavour, port: 0 },
        [
          'GtidMySql "bad" has 4 invalid inputs:',
          '  - replicas[1].name: "osl-2" is a replica twice; list it once',
          '  - replicas[2].name: "osl-1" is the primary; a node is the primary or a replica, not both',
          '  - flavour: "postgres" is not a MySQL flavour; use "mysql84" (MySQL 8.4 LTS, the default), "mysql80" (MySQL 8.0, end of life) or "mariadb" (MariaDB as Debian ships it)',
          "  - port: 0 is not a valid port; use a whole number from 1 to 65535",
        ].join("\n"),
      ));
    it("a replica on AWS with personal data, naming each rule and the node", () =>
      fails(
        { replicas: [osl(2), host("fleet-1", "203.0.113.10", true)] },
        [
          'GtidMySql "bad" has 3 invalid inputs:',
          '  - replicas: residency rule personal-data-location: MySQL replica "bad/fleet-1" holds personal data on node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act); the residency policy allows personal data only in Norway. Move MySQL replica "bad/fleet-1" from node "fleet-1" to a node in Norway, or keep only internal or public data in it.',
          '  - replicas: residency rule foreign-jurisdiction: MySQL replica "bad/fleet-1" holds personal data on node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act); under the US CLOUD Act, authorities of the United States can compel the provider to hand over data it holds anywhere, so the data is under a third country\'s jurisdiction wherever the node is (Schrems II). Move MySQL replica "bad/fleet-1" from node "fleet-1" to a node whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is under no foreign access law (e.g. CoolVDS in Norway).',
          '  - replicas: residency rule replication-target: Flow "bad replication to fleet-1" sends personal data to node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act), which may not hold it: Sweden is not an allowed country (allowed: Norway); its provider Amazon Web Services has its legal seat in the United States, subject to the US CLOUD Act. Send personal data only to nodes in Norway whose provider has its legal seat in the EEA or in a country with a full EU adequacy decision and is under no foreign access law (e.g. CoolVDS in Norway), or send only internal or public data to node "fleet-1".',
        ].join("\n"),
      ));
    it("backups on the primary, on AWS, or kept for no day", () =>
      assert.throws(
        () =>
          new GtidMySql("bad", {
            primary: osl(1),
            addresses,
            backup: { node: host("fleet-1", "203.0.113.10", true) },
          }),
        (e: Error) =>
          /^GtidMySql "bad" has \d+ invalid inputs:\n {2}- backup\.node: residency rule personal-data-location: MySQL backups "bad\/backups" holds personal data on node "fleet-1"/.test(
            e.message,
          ) &&
          /backup\.node: residency rule replication-target: Flow "bad backups to fleet-1"/.test(e.message),
      ));
    it("backups on the primary itself, a bad schedule and no backup kept", () =>
      fails(
        { backup: { node: osl(1), onCalendar: "daily; rm -rf /", keep: 0 } },
        [
          'GtidMySql "bad" has 3 invalid inputs:',
          '  - backup.node: "osl-1" is the primary; backups belong on another node (a replica or a node of their own)',
          '  - backup.onCalendar: "daily; rm -rf /" is not a systemd calendar expression; use e.g. "daily" or "*-*-* 02:30:00"',
          "  - backup.keep: 0 is out of range; keep 1 to 365 backups",
        ].join("\n"),
      ));
    it("a primary on AWS, under `primary`", () =>
      assert.throws(
        () =>
          new GtidMySql("bad", {
            primary: host("fleet-1", "203.0.113.10", true),
            addresses,
            dataClass: DataClass.Special,
          }),
        (e: Error) => {
          assert.match(
            e.message,
            /^GtidMySql "bad" has 2 invalid inputs:\n {2}- primary: residency rule personal-data-location: MySQL primary "bad" holds special-category data \(GDPR art\. 9\) on node "fleet-1"/,
          );
          return true;
        },
      ));
  });
});
