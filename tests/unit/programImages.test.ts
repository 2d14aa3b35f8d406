import * as assert from "assert";
import * as pulumi from "@pulumi/pulumi";
import { settle } from "../../sdk/testing/mocks";
import { fortressProgram } from "../../stacks/program";
import { mocks } from "./setup";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\naW1hZ2Vz\n-----END OPENSSH PRIVATE KEY-----\n";
const fleet = (name: string, region: string, ec2: object = {}) => ({
  name,
  placement: { provider: "aws", region },
  ec2: { adminCidr: "198.51.100.0/24", ...ec2 },
});

describe("the stack program's EC2 images", () => {
  beforeEach(() => mocks.reset());

  it("looks the Debian image up once per region and architecture, not once per node", async () => {
    const nodes = [
      { name: "osl-1", placement: { country: "NO", provider: "coolvds" }, existing: { host: "185.1.2.3" } },
      ...Array.from({ length: 5 }, (_, i) => fleet(`burst-${i}`, "eu-north-1")),
      fleet("arm-1", "eu-north-1", { instanceType: "t4g.small" }),
      fleet("arm-2", "eu-north-1", { instanceType: "m7g.large" }),
      fleet("west-1", "eu-west-1"),
      fleet("pinned-1", "eu-north-1", { ami: "ami-0pinned" }),
    ];
    pulumi.runtime.setAllConfig({ "fortress:sshPrivateKey": KEY, "fortress:nodes": JSON.stringify(nodes) }, [
      "fortress:sshPrivateKey",
    ]);
    fortressProgram(new pulumi.Config("fortress"));
    await settle();
    const lookups = mocks.invokes
      .filter((i) => i.token === "aws:ec2/getAmi:getAmi")
      .map((i) => {
        const { region, filters } = i.inputs as { region: string; filters: { values: string[] }[] };
        return `${region} ${filters[0].values[0]}`;
      })
      .sort();
    assert.deepStrictEqual(lookups, [
      "eu-north-1 debian-12-amd64-*",
      "eu-north-1 debian-12-arm64-*",
      "eu-west-1 debian-12-amd64-*",
    ]);
    const amiOf = (n: string) => mocks.named(`${n}-instance`).inputs.ami;
    for (const n of ["burst-0", "burst-4", "arm-1", "west-1"]) assert.ok(amiOf(n), n);
    assert.strictEqual(amiOf("pinned-1"), "ami-0pinned");
  });

  it("checks a node before it looks its image up: bad input asks AWS nothing and registers nothing", () => {
    pulumi.runtime.setAllConfig(
      {
        "fortress:sshPrivateKey": KEY,
        "fortress:nodes": JSON.stringify([fleet("burst-0", "eu-north-1", { instanceType: "bogus" })]),
      },
      ["fortress:sshPrivateKey"],
    );
    assert.throws(
      () => fortressProgram(new pulumi.Config("fortress")),
      /fortress:nodes\[0\]\.ec2\.instanceType: "bogus" is not an EC2 instance type/,
    );
    assert.deepStrictEqual(mocks.invokes, []);
    assert.deepStrictEqual(mocks.resources, []);
  });
});
