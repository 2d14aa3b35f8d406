// The Fortress residency policy pack: `pulumi preview --policy-pack <this folder>`. It only wires the
// policies up; they live in policies.ts, where tests can call them without a running pack.
import { PolicyPack } from "@pulumi/policy";
import { fortressPolicies } from "./policies";

new PolicyPack("fortress-residency", {
  description: "Keeps personal data in Norway, under Norwegian jurisdiction: the Fortress residency rules.",
  policies: fortressPolicies,
});
