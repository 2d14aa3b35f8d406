// The frame every lab test file shares: its hosts booted before the tests, the lab engine pointed
// at them (with real random and tls answers where a server loads the keys), reset before each
// test, everything stopped after; and a KvmNode for a host, placed as the lab stack places it.
import * as pulumi from "@pulumi/pulumi";
import { KvmNode, KvmNodeArgs } from "../../components/kvmNode/kvmNode";
import { Placement } from "../../sdk/residency";
import { engine } from "./engine";
import { Lab, LabHost, startLab } from "./harness";
import { useRealProviders } from "./realProviders";

/** Where the lab's hosts are, as far as the residency rules know: CoolVDS in Oslo. */
export const LAB_PLACEMENT: Placement = {
  country: "NO",
  provider: "coolvds",
  region: "no-oslo-1",
  site: "lab",
};

export interface LabSuite {
  /** The running lab (inside the tests). */
  readonly lab: () => Lab;
  readonly host: (name: string) => LabHost;
  /** A KvmNode for a lab host: an existing server, at LAB_PLACEMENT unless `extra` says otherwise. */
  readonly kvmNode: (name: string, extra?: Partial<KvmNodeArgs>) => KvmNode;
}

/** Registers the suite's hooks: call it inside `describe`. */
export function labSuite(names: string[], opts: { realProviders?: boolean } = {}): LabSuite {
  let running: Lab | undefined;
  let stopProviders: (() => void) | undefined;
  before(async () => {
    if (opts.realProviders) stopProviders = useRealProviders(engine);
    running = await startLab(names);
    engine.useLab(running);
  });
  after(async () => {
    stopProviders?.();
    await running?.stop();
  });
  beforeEach(() => {
    engine.reset();
    engine.skip = undefined;
  });
  const lab = () => {
    if (!running) throw new Error("the lab is not up (labSuite's before hook has not run)");
    return running;
  };
  const host = (name: string) => lab().host(name);
  return {
    lab,
    host,
    kvmNode: (name, extra = {}) => {
      const c = host(name).connection();
      return new KvmNode(name, {
        placement: LAB_PLACEMENT,
        existing: { host: c.host, privateKey: pulumi.secret(c.privateKey) },
        ...extra,
      });
    },
  };
}
