import * as pulumi from "@pulumi/pulumi";

// The stack config the program specs run the stack program with.

export const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc3RhY2sta2V5\n-----END OPENSSH PRIVATE KEY-----\n";

/** The stack config with these nodes and the stack's SSH key (secret). */
export function withConfig(nodes: unknown): pulumi.Config {
  pulumi.runtime.setAllConfig({ "fortress:sshPrivateKey": KEY, "fortress:nodes": JSON.stringify(nodes) }, [
    "fortress:sshPrivateKey",
  ]);
  return new pulumi.Config("fortress");
}

/** Two CoolVDS nodes given by address and a Fleet node on EC2. */
export const nodes = [
  { name: "osl-1", placement: { country: "NO", provider: "coolvds" }, existing: { host: "185.1.2.3" } },
  { name: "osl-2", placement: { country: "NO", provider: "coolvds" }, existing: { host: "185.1.2.4" } },
  {
    name: "fleet-1",
    placement: { provider: "aws", region: "eu-north-1" },
    ec2: { adminCidr: "198.51.100.0/24" },
  },
];

/** The stack config of `nodes` with `extra` settings (each under fortress:), as the program reads it. */
export const stack = (extra: Record<string, unknown>): pulumi.Config => {
  pulumi.runtime.setAllConfig(
    {
      "fortress:sshPrivateKey": KEY,
      "fortress:nodes": JSON.stringify(nodes),
      ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [`fortress:${k}`, JSON.stringify(v)])),
    },
    ["fortress:sshPrivateKey"],
  );
  return new pulumi.Config("fortress");
};
