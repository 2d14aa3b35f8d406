// Program entry named by Pulumi.yaml (`main: stacks/`). The module's export is the stack outputs:
// only those the stack has (no kubeconfig on a stack without k3s), so the CLI warns about none.
import { fortressProgram } from "./program";

export = fortressProgram();
