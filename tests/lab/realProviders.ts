// What the random and tls providers would answer, for the lab tests that need real keys,
// certificates and passwords (MariaDB loads them for real).
import { execFileSync } from "child_process";
import { createHash, generateKeyPairSync } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { MockResult } from "../../sdk/testing/mocks";
import { LabEngine } from "./engine";

/**
 * What the random and tls providers would answer, for real: the lab engine's mocks answer with
 * placeholders, which MariaDB cannot load as keys, and a fresh password on every run, which a
 * real stack never sees. Keys from node's crypto, certificates from openssl, passwords derived
 * from the resource name; each kept per resource and inputs, as a provider's state would be.
 */
export class RealProviders {
  private readonly state = new Map<string, Record<string, string>>();
  private readonly salt = createHash("sha256").update(`${Date.now()}-${process.pid}`).digest("hex");
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "fortress-lab-tls-"));

  outputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, string> | undefined {
    const key = `${type} ${name} ${JSON.stringify(inputs)}`;
    const known = this.state.get(key);
    if (known) return known;
    const made = this.make(type, name, inputs);
    if (made) this.state.set(key, made);
    return made;
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private make(
    type: string,
    name: string,
    inputs: Record<string, unknown>,
  ): Record<string, string> | undefined {
    switch (type) {
      case "random:index/randomPassword:RandomPassword": {
        const digest = createHash("sha256").update(`${this.salt}:${name}`).digest("base64");
        return { result: digest.replace(/[^A-Za-z0-9]/g, "").slice(0, Number(inputs.length ?? 32)) };
      }
      case "tls:index/privateKey:PrivateKey": {
        if (inputs.algorithm === "RSA") {
          const rsa = generateKeyPairSync("rsa", {
            modulusLength: Number(inputs.rsaBits ?? 2048),
            privateKeyEncoding: { type: "pkcs1", format: "pem" },
            publicKeyEncoding: { type: "spki", format: "pem" },
          });
          return { privateKeyPem: rsa.privateKey, publicKeyPem: rsa.publicKey };
        }
        const { privateKey, publicKey } = generateKeyPairSync("ec", {
          namedCurve: "prime256v1",
          privateKeyEncoding: { type: "sec1", format: "pem" },
          publicKeyEncoding: { type: "spki", format: "pem" },
        });
        return { privateKeyPem: privateKey, publicKeyPem: publicKey };
      }
      case "tls:index/selfSignedCert:SelfSignedCert":
        return {
          certPem: this.openssl(
            ["req", "-x509", "-new", "-key", this.file("key.pem", inputs.privateKeyPem)],
            ["-subj", subject(inputs.subject), "-days", days(inputs.validityPeriodHours)],
            [
              "-addext",
              "basicConstraints=critical,CA:TRUE",
              "-addext",
              `keyUsage=critical,${keyUsage(inputs)}`,
            ],
          ),
        };
      case "tls:index/certRequest:CertRequest": {
        const sans = [
          ...((inputs.ipAddresses as string[]) ?? []).map((ip) => `IP:${ip}`),
          ...((inputs.dnsNames as string[]) ?? []).map((dns) => `DNS:${dns}`),
        ];
        return {
          certRequestPem: this.openssl(
            [
              "req",
              "-new",
              "-key",
              this.file("key.pem", inputs.privateKeyPem),
              "-subj",
              subject(inputs.subject),
            ],
            sans.length > 0 ? ["-addext", `subjectAltName=${sans.join(",")}`] : [],
          ),
        };
      }
      case "tls:index/locallySignedCert:LocallySignedCert": {
        const uses = (inputs.allowedUses as string[]) ?? [];
        const eku = uses.flatMap((u) => EXTENDED_USES[u] ?? []);
        const ext = this.file(
          "ext.cnf",
          `keyUsage=critical,${keyUsage(inputs)}\n${eku.length > 0 ? `extendedKeyUsage=${eku.join(",")}\n` : ""}`,
        );
        return {
          certPem: this.openssl(
            ["x509", "-req", "-in", this.file("csr.pem", inputs.certRequestPem)],
            [
              "-CA",
              this.file("ca.pem", inputs.caCertPem),
              "-CAkey",
              this.file("ca-key.pem", inputs.caPrivateKeyPem),
            ],
            ["-set_serial", `0x${createHash("sha256").update(name).digest("hex").slice(0, 16)}`],
            ["-days", days(inputs.validityPeriodHours), "-copy_extensions", "copy", "-extfile", ext],
          ),
        };
      }
      default:
        return undefined;
    }
  }

  private file(name: string, content: unknown): string {
    const file = path.join(this.dir, name);
    fs.writeFileSync(file, String(content), { mode: 0o600 });
    return file;
  }

  private openssl(...args: string[][]): string {
    return execFileSync("openssl", args.flat(), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  }
}

const KEY_USES: Record<string, string> = {
  cert_signing: "keyCertSign",
  crl_signing: "cRLSign",
  digital_signature: "digitalSignature",
  key_encipherment: "keyEncipherment",
};
const EXTENDED_USES: Record<string, string> = { server_auth: "serverAuth", client_auth: "clientAuth" };
const keyUsage = (inputs: Record<string, unknown>) =>
  ((inputs.allowedUses as string[]) ?? []).flatMap((u) => KEY_USES[u] ?? []).join(",");
const days = (hours: unknown) => String(Math.max(1, Math.floor(Number(hours) / 24)));
const subject = (s: unknown) => {
  const { organization, commonName } = (s ?? {}) as { organization?: string; commonName?: string };
  return `${organization ? `/O=${organization}` : ""}/CN=${commonName ?? "fortress"}`;
};

export function unwrap(inputs: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(inputs).map(([k, v]) => [
      k,
      pulumi.runtime.isRpcSecret(v) ? pulumi.runtime.unwrapRpcSecret(v) : v,
    ]),
  );
}

export const SECRET_OUTPUTS = new Set(["result", "privateKeyPem"]);

/**
 * Makes the engine answer random and tls resources with real values, until the returned function
 * is called.
 */
export function useRealProviders(engine: LabEngine): () => void {
  const providers = new RealProviders();
  const base = engine.newResource.bind(engine);
  engine.newResource = async (args: pulumi.runtime.MockResourceArgs): Promise<MockResult> => {
    const result = await base(args);
    const real = providers.outputs(args.type, args.name, unwrap(args.inputs as Record<string, unknown>));
    if (!real) return result;
    const state = { ...result.state };
    for (const [k, v] of Object.entries(real)) state[k] = SECRET_OUTPUTS.has(k) ? pulumi.secret(v) : v;
    return { id: result.id, state };
  };
  return () => {
    engine.newResource = base;
    providers.cleanup();
  };
}
