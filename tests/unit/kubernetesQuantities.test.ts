import * as assert from "assert";
import * as fc from "fast-check";
import { InputProblems } from "../../sdk/errors";
import {
  checkCpu,
  checkMemory,
  checkResourceRequirements,
  formatDuration,
  imageRegistry,
  parseDuration,
  parseQuantity,
  registryAllows,
} from "../../sdk/kubernetes";

// What the Kubernetes components check in plain values: quantities, image registries and durations.

describe("Kubernetes quantities, names and durations (pure)", () => {
  const problems = (f: (p: InputProblems) => unknown) => {
    const p = new InputProblems();
    f(p);
    return p.list.map((x) => `${x.propertyPath}: ${x.reason}`);
  };

  it("parses quantities as Kubernetes does", () => {
    assert.deepStrictEqual(parseQuantity("128Mi"), { number: "128", suffix: "Mi", value: 134217728 });
    assert.strictEqual(parseQuantity("100m")?.value, 0.1);
    assert.strictEqual(parseQuantity("1.5")?.value, 1.5);
    assert.strictEqual(parseQuantity("1e3")?.value, 1000);
    assert.strictEqual(parseQuantity(".5Gi")?.value, 2 ** 29);
    for (const bad of ["", "Mi", "1 Mi", "1mi", "1MB", "1Mb", "0x10", "1.2.3"]) {
      assert.strictEqual(parseQuantity(bad), undefined, bad);
    }
  });

  it("accepts sound amounts and refuses the typos", () => {
    assert.deepStrictEqual(
      problems((p) => checkMemory(p, "1Gi", "m")),
      [],
    );
    assert.deepStrictEqual(
      problems((p) => checkMemory(p, "268435456", "m")),
      [],
    );
    assert.deepStrictEqual(
      problems((p) => checkCpu(p, "0.5", "c")),
      [],
    );
    assert.deepStrictEqual(
      problems((p) => checkCpu(p, "2", "c")),
      [],
    );
    assert.deepStrictEqual(
      problems((p) => checkMemory(p, "1Ki", "m")),
      [
        'm: "1Ki" is 1024 bytes, too little for a container to start; write memory in binary units, e.g. "128Mi" or "1Gi"',
      ],
    );
    assert.deepStrictEqual(
      problems((p) => checkMemory(p, "1G", "m")),
      [
        'm: "1G" is 1 gigabyte (decimal); did you mean "1Gi"? Write 1000000000 if decimal gigabytes are meant',
      ],
    );
    assert.deepStrictEqual(
      problems((p) => checkMemory(p, "0", "m")),
      ['m: "0" must be more than zero; write memory in binary units, e.g. "128Mi" or "1Gi"'],
    );
    assert.deepStrictEqual(
      problems((p) => checkCpu(p, "0.0001", "c")),
      [
        'c: "0.0001" is less than 1m, the smallest CPU amount Kubernetes knows; write CPU in cores ("0.5", "2") or millicores ("500m")',
      ],
    );
    assert.deepStrictEqual(
      problems((p) => checkCpu(p, "2k", "c")),
      ['c: "2k" is 2000 CPU cores, more than 32; write CPU in cores ("0.5", "2") or millicores ("500m")'],
    );
    assert.deepStrictEqual(
      problems((p) => checkResourceRequirements(p, { requests: { cpu: "2" }, limits: { cpu: "500m" } }, "x")),
      ['x.requests.cpu: "2" is more than the limit "500m"; Kubernetes refuses a request above its limit'],
    );
  });

  it("any decimal-megabyte memory is refused with the Mi it most likely meant (property)", () =>
    fc.assert(
      fc.property(fc.integer({ min: 4, max: 100_000 }), (n) => {
        assert.deepStrictEqual(
          problems((p) => checkMemory(p, `${n}Mi`, "m")),
          [],
        );
        const found = problems((p) => checkMemory(p, `${n}M`, "m"));
        assert.strictEqual(found.length, 1);
        assert.ok(found[0].includes(`did you mean "${n}Mi"?`), found[0]);
      }),
    ));

  it("tells registries apart and matches allowed entries", () => {
    assert.strictEqual(imageRegistry("nginx"), "docker.io");
    assert.strictEqual(imageRegistry("functions/nodeinfo:latest"), "docker.io");
    assert.strictEqual(imageRegistry("ghcr.io/openfaas/gateway:0.27.13"), "ghcr.io");
    assert.strictEqual(imageRegistry("localhost:5000/fn"), "localhost:5000");
    assert.ok(registryAllows("ghcr.io/my-org", "ghcr.io/my-org/fn:1"));
    assert.ok(!registryAllows("ghcr.io/my-org", "ghcr.io/my-organisation/fn:1"));
    assert.ok(registryAllows("docker.io", "alpine:3"));
    assert.ok(!registryAllows("registry.example.no", "registry.example.no.evil.com/fn"));
  });

  it("reads and writes Go durations", () => {
    assert.strictEqual(parseDuration("1m5s"), 65_000);
    assert.strictEqual(parseDuration("1.5h"), 5_400_000);
    assert.strictEqual(parseDuration("10"), undefined);
    assert.strictEqual(formatDuration(65_000), "1m5s");
    assert.strictEqual(formatDuration(3_600_000), "1h");
  });
});
