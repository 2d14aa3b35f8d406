// The image an `ec2` node boots: Debian 12 from Debian's own AWS account, for the architecture of
// its instance type.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { eventually, whenKnown } from "../../sdk/outputs";

const DEBIAN_AMI_OWNER = "136693071363";
/** The instance type of an `ec2` node that names none. */
export const DEFAULT_INSTANCE_TYPE = "t3.small";

/**
 * The newest Debian 12 image (Debian's own account) for an instance type's architecture in a
 * region. A program with many EC2 nodes can look it up once and give it to each as `ec2.ami`.
 */
export function debianAmi(
  region: string | undefined,
  instanceType: pulumi.Input<string>,
  opts?: pulumi.InvokeOutputOptions,
): pulumi.Output<string> {
  return aws.ec2
    .getAmiOutput(
      {
        owners: [DEBIAN_AMI_OWNER],
        mostRecent: true,
        region,
        filters: [
          {
            name: "name",
            values: [whenKnown(eventually(instanceType), (t) => `debian-12-${amiArchitecture(t)}-*`)],
          },
          { name: "virtualization-type", values: ["hvm"] },
        ],
      },
      opts,
    )
    .apply((image) => image.id);
}

/** Graviton instance families carry a `g` after the generation digit (t4g, m7gd, c6gn). */
export function amiArchitecture(instanceType: string): "arm64" | "amd64" {
  return /^[a-z]+\d+[a-z]*g[a-z]*\./.test(instanceType) ? "arm64" : "amd64";
}
