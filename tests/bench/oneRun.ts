// One sample of the bench's process-per-sample measurement (tests/bench/index.ts starts it). Both
// kinds prepare alike (an untimed real run, its payloads, a collection); then this times one run
// of BENCH_MODE (`real` or `fair`) of prod with BENCH_EXTRA more agents and prints its
// milliseconds. Each run starts with no script remembered (workloads.ts, `fresh`).
import { recordDependencies } from "../../sdk/testing/dependencies";
import { FortressMocks, installMocks } from "../../sdk/testing/mocks";
import { withStackTraces } from "../../sdk/testing/stackTraces";
import { fair, payloads, prodStack } from "./workloads";

const mocks = installMocks(
  new FortressMocks().onInvoke("aws:ec2/getAmi:getAmi", () => ({ id: "ami-debian-12", name: "debian-12" })),
);
const graph = recordDependencies();
const extra = Number(process.env.BENCH_EXTRA ?? 0);
const mode = process.env.BENCH_MODE;
if (mode !== "real" && mode !== "fair") throw new Error(`BENCH_MODE must be real or fair, not ${mode}`);

withStackTraces("off", async () => {
  const what = payloads(await prodStack(mocks, extra), graph);
  (global as { gc?: () => void }).gc?.();
  const start = process.hrtime.bigint();
  if (mode === "real") await prodStack(mocks, extra);
  else await fair(mocks, what, "sample");
  console.log(String(Number(process.hrtime.bigint() - start) / 1e6));
}).catch((e) => {
  console.error(e);
  process.exit(1);
});
