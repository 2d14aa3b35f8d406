// Phrases shared by the rules' messages, so every message names data and places the same way.
import { countries, inProse } from "./countries";
import { DataClass, ResidencyNode } from "./model";
import { ResolvedPlacement, foreignAccessLawsOf } from "./placement";

/** "personal data", "special-category data (GDPR art. 9)", ... as the first mention in a message. */
export function dataWords(dataClass: DataClass): string {
  return dataClass === DataClass.Special ? "special-category data (GDPR art. 9)" : `${dataClass} data`;
}

/** The same without the article reference, for a second mention. */
export function shortDataWords(dataClass: DataClass): string {
  return dataClass === DataClass.Special ? "special-category data" : `${dataClass} data`;
}

/**
 * Where a placement is and whose law applies, e.g.
 * `Sweden (Amazon Web Services, legal seat United States, subject to the US CLOUD Act)`.
 */
export function describePlacement(p: ResolvedPlacement): string {
  const lawList = foreignAccessLawsOf(p);
  const laws = lawList.length > 0 ? `, subject to the ${listWords(lawList)}` : "";
  return `${inProse(p.countryName)} (${p.providerName}, legal seat ${p.legalSeatName}${laws})`;
}

/** `node "fleet-1" in Sweden (Amazon Web Services, legal seat United States, ...)`. */
export function describeNode(n: ResidencyNode): string {
  return `node "${n.name}" in ${describePlacement(n.placement)}`;
}

/** `node "osl-1" at CoolVDS (no-oslo-1, Oslo, Norway)`: where a flow starts or ends. */
export function describeSite(n: ResidencyNode): string {
  const p = n.placement;
  const parts = [p.region, p.site, inProse(p.countryName)].filter((x): x is string => x !== undefined);
  return `node "${n.name}" at ${p.providerName} (${parts.join(", ")})`;
}

/** "a", "a and b", "a, b and c" (or with "or"). */
export function listWords(items: readonly string[], conjunction = "and"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

/** The allowed countries by name: "Norway", "Norway or Sweden". */
export function countryNames(codes: readonly string[]): string {
  return listWords(
    codes.map((c) => inProse(countries[c.toUpperCase()]?.name ?? c)),
    "or",
  );
}

/** `node "a"` or `nodes "a" and "b"`. */
export function nodeNames(names: readonly string[]): string {
  return `${names.length === 1 ? "node" : "nodes"} ${listWords(names.map((n) => `"${n}"`))}`;
}

/** `region=no, fortress.io/jurisdiction=no`, sorted by key so messages are stable. */
export function labelWords(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(", ");
}
