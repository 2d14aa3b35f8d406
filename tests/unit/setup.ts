// Loaded by mocha before any spec (see .mocharc.json): the mocks must be in place before a
// component registers anything. One recorder for the whole run; specs reset it.
import * as pulumi from "@pulumi/pulumi";
import { FortressMocks, installMocks } from "../../sdk/testing/mocks";

export const mocks = installMocks(
  new FortressMocks().onInvoke("aws:ec2/getAmi:getAmi", (inputs) => ({
    id: "ami-0debian12test",
    name: (inputs.filters as { values: string[] }[])[0].values[0].replace("*", "20261101-1234"),
  })),
);

/** Options each resource was registered with (parent, dependsOn), which the mocks do not see. */
export const registeredOptions = new Map<string, pulumi.ResourceOptions>();

/** Pass as `transformations` to a component: it is inherited by every child and records its options. */
export const recordOptions: pulumi.ResourceTransformation = (args) => {
  registeredOptions.set(args.name, args.opts);
  return undefined;
};
