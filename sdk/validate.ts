import * as net from "net";
import { InputProblems } from "./errors";

/** Checks a TCP/UDP port number; records a problem naming the path when it is not 1..65535. */
export function checkPort(problems: InputProblems, value: number, propertyPath: string): boolean {
  return problems.check(
    Number.isInteger(value) && value >= 1 && value <= 65535,
    propertyPath,
    `${String(value)} is not a valid port; use a whole number from 1 to 65535`,
  );
}

const HOSTNAME =
  /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/;

/** Checks an SSH target: an IPv4/IPv6 address or a DNS name. */
export function checkHost(problems: InputProblems, value: string, propertyPath: string): boolean {
  if (
    !problems.check(
      value.trim() !== "",
      propertyPath,
      "must not be empty; give the server's address or DNS name",
    )
  ) {
    return false;
  }
  return problems.check(
    net.isIP(value) !== 0 || HOSTNAME.test(value),
    propertyPath,
    `"${value}" is neither an IP address nor a DNS name`,
  );
}

/** Checks an IPv4 or IPv6 CIDR such as "203.0.113.0/24". */
export function checkCidr(problems: InputProblems, value: string, propertyPath: string): boolean {
  const [address, prefix, ...rest] = value.split("/");
  const family = net.isIP(address ?? "");
  const bits = family === 4 ? 32 : 128;
  const prefixOk = prefix !== undefined && /^\d{1,3}$/.test(prefix) && Number(prefix) <= bits;
  return problems.check(
    rest.length === 0 && family !== 0 && prefixOk,
    propertyPath,
    `"${value}" is not a CIDR; use an address and prefix length such as "203.0.113.0/24"`,
  );
}

/** Checks a network interface name as Linux accepts it (1 to 15 characters, no slash or space). */
export function checkInterfaceName(problems: InputProblems, value: string, propertyPath: string): boolean {
  return problems.check(
    /^[a-zA-Z0-9_.-]{1,15}$/.test(value),
    propertyPath,
    `"${value}" is not an interface name; use 1 to 15 letters, digits, "_", "." or "-"`,
  );
}
