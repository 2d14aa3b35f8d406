import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

/** A resource the program registered, as the engine would have received it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Inputs with secrets unwrapped; `secretInputs` says which were secret. */
  readonly inputs: Record<string, unknown>;
  readonly secretInputs: readonly string[];
  readonly custom: boolean;
  readonly provider?: string;
}

export interface RecordedInvoke {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
}

export interface MockResult {
  readonly id: string | undefined;
  readonly state: Record<string, unknown>;
}

export type InvokeHandler = (inputs: Record<string, unknown>) => Record<string, unknown>;

/**
 * Outputs each provider marks secret. Pulumi's mocks ignore `additionalSecretOutputs`, so without
 * this a test could not tell a component that leaks a key from one that keeps it secret.
 */
const SECRET_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  "tls:index/privateKey:PrivateKey": ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"],
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "random:index/randomBytes:RandomBytes": ["base64", "hex"],
};

let counter = 0;

/** What the mocks answer for a certificate's `certPem`: PEM-shaped, stable per name. */
export const fakeCertificate = (name: string): string =>
  `-----BEGIN CERTIFICATE-----\n${name}\n-----END CERTIFICATE-----\n`;

/** What the mocks answer for a RandomPassword's `bcryptHash`: bcrypt-shaped, stable per name. */
export const fakeBcryptHash = (name: string): string =>
  `$2a$10$${Buffer.from(name).toString("base64").padEnd(53, "x").slice(0, 53)}`;
/** A stable address per name in 198.18.0.0/15 (benchmarking range): distinct instances, distinct hosts. */
const documentationAddress = (name: string): string => {
  const d = createHash("sha256").update(name).digest();
  return `198.18.${d[0]}.${1 + (d[1] % 254)}`;
};
const fakeWireGuardKey = (name: string): string => createHash("sha256").update(name).digest("base64");
const fakeKey = (kind: string, name: string): string => `${kind}-${name}-${++counter}`;

/** Output values a provider computes, for the types our components create. */
function providerOutputs(
  type: string,
  name: string,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return {
        privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${fakeKey("key", name)}\n-----END OPENSSH PRIVATE KEY-----\n`,
        privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${fakeKey("pem", name)}\n-----END PRIVATE KEY-----\n`,
        publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${Buffer.from(name).toString("base64")} ${name}\n`,
        publicKeyPem: `-----BEGIN PUBLIC KEY-----\n${Buffer.from(name).toString("base64")}\n-----END PUBLIC KEY-----\n`,
      };
    case "tls:index/selfSignedCert:SelfSignedCert":
    case "tls:index/locallySignedCert:LocallySignedCert":
      return { certPem: fakeCertificate(name) };
    case "tls:index/certRequest:CertRequest":
      return {
        certRequestPem: `-----BEGIN CERTIFICATE REQUEST-----\n${name}\n-----END CERTIFICATE REQUEST-----\n`,
      };
    case "random:index/randomPassword:RandomPassword":
      return { result: fakeKey("password", name), bcryptHash: fakeBcryptHash(name) };
    case "aws:ec2/instance:Instance":
      return {
        publicIp: documentationAddress(name),
        privateIp: "172.31.0.10",
        arn: `arn:aws:ec2:::instance/${name}`,
      };
    case "aws:ec2/keyPair:KeyPair":
      return { keyName: inputs.keyName ?? name };
    case "command:remote:Command":
      // Our own key generation prints a WireGuard public key; answer with a well-formed one. A
      // database node's demote step reports its GTIDs: a new server has none. A K3sCluster backup
      // node prints the SSH public key it made.
      return {
        stdout: String(inputs.create).includes("fortress-wireguard-keygen")
          ? `${fakeWireGuardKey(name)}\n`
          : String(inputs.create).includes("fortress-mysql-demote")
            ? "gtids=\n"
            : String(inputs.create).includes("fortress-k3s-snapshot-target")
              ? `ssh-ed25519 ${Buffer.from(`ssh-key-${name}`).toString("base64")}\n`
              : "",
        stderr: "",
      };
    default:
      return {};
  }
}

function unwrapSecrets(inputs: Record<string, unknown>): {
  plain: Record<string, unknown>;
  secret: string[];
} {
  const plain: Record<string, unknown> = {};
  const secret: string[] = [];
  for (const [key, value] of Object.entries(inputs ?? {})) {
    if (pulumi.runtime.isRpcSecret(value)) {
      secret.push(key);
      plain[key] = pulumi.runtime.unwrapRpcSecret(value);
    } else {
      plain[key] = value;
    }
  }
  return { plain, secret };
}

/**
 * Pulumi mocks that record every resource and invoke, give ids a recognisable form
 * (`<name>-id`), behave like the providers for secret outputs, and fail on any invoke nobody
 * mocked. Consumers can use them for their own programs that compose Fortress components.
 */
export class FortressMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly invokes: RecordedInvoke[] = [];
  private readonly handlers = new Map<string, InvokeHandler>();

  /** Answers an invoke (`aws:ec2/getAmi:getAmi`, ...) with a fixed result. */
  onInvoke(token: string, handler: InvokeHandler): this {
    this.handlers.set(token, handler);
    return this;
  }

  /** Forgets what was recorded (between tests). */
  reset(): void {
    this.resources.length = 0;
    this.invokes.length = 0;
  }

  newResource(args: pulumi.runtime.MockResourceArgs): MockResult | Promise<MockResult> {
    return this.record(args);
  }

  /** Records a registration and answers it the way the provider would. */
  protected record(args: pulumi.runtime.MockResourceArgs): MockResult {
    const { plain, secret } = unwrapSecrets(args.inputs as Record<string, unknown>);
    this.resources.push({
      type: args.type,
      name: args.name,
      inputs: plain,
      secretInputs: secret,
      custom: args.custom ?? true,
      provider: args.provider,
    });
    const state: Record<string, unknown> = { ...(args.inputs as Record<string, unknown>) };
    const outputs = providerOutputs(args.type, args.name, plain);
    const secretNames = SECRET_OUTPUTS[args.type] ?? [];
    for (const [key, value] of Object.entries(outputs)) {
      state[key] = secretNames.includes(key) ? pulumi.secret(value) : value;
    }
    return { id: args.custom === false ? undefined : `${args.name}-id`, state };
  }

  call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
    const inputs = unwrapSecrets(args.inputs as Record<string, unknown>).plain;
    this.invokes.push({ token: args.token, inputs });
    const handler = this.handlers.get(args.token);
    if (!handler) throw new Error(`no mock for invoke ${args.token}; add one with onInvoke()`);
    return handler(inputs);
  }

  /** The recorded resources of one type (`command:remote:Command`). */
  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  /** The one recorded resource with this name; throws if there is none or several. */
  named(name: string): RecordedResource {
    const found = this.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
    return found[0];
  }
}

/**
 * Installs the mocks. Call it before importing any module that creates resources at load time
 * (a stack program), and before constructing components.
 */
export function installMocks<T extends FortressMocks>(mocks: T, project = "fortress", stack = "test"): T {
  void pulumi.runtime.setMocks(mocks, project, stack, false);
  return mocks;
}

/** The value of an output (tests only: it never resolves for an unknown value). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Whether an output is marked secret. */
export function isSecret<T>(output: pulumi.Output<T>): Promise<boolean> {
  return pulumi.isSecret(output);
}

/**
 * Waits until every registration and output the program started has gone through the mocks, so
 * the recorded resources are complete. Uses the SDK's own RPC queue (internal in 3.248).
 */
export async function settle(): Promise<void> {
  const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
  if (!runtime.waitForRPCs) throw new Error("this @pulumi/pulumi has no waitForRPCs; update settle()");
  await runtime.waitForRPCs();
}
