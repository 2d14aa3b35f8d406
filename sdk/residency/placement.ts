import { InputProblems } from "../errors";
import { Country, countries, findCountry, inProse, unknownCountryReason } from "./countries";
import { CloudProvider, awsRegions, cloudProviders, findAwsRegion, findCloudProvider } from "./providers";

/** Where a node runs, as a user writes it: plain strings, any case. */
export interface Placement {
  /**
   * ISO 3166-1 alpha-2 code of the country the node is in, e.g. "NO". Required, except for provider
   * "aws" with a region, where it comes from the region.
   */
  readonly country?: string;
  /** The provider's id in the catalogue, e.g. "coolvds" or "aws"; any other id needs `legalSeat`. */
  readonly provider: string;
  /** The provider's region, e.g. "eu-north-1" or "no-oslo-1". Used as a Kubernetes label value. */
  readonly region?: string;
  /** Data centre or city, free text, e.g. "Oslo". */
  readonly site?: string;
  /** ISO code of the provider's legal seat. Required for a provider outside the catalogue only. */
  readonly legalSeat?: string;
}

/** A checked placement with the residency facts that follow from it. */
export interface ResolvedPlacement {
  /** Upper-case ISO code of the country the node is in. */
  readonly country: string;
  readonly countryName: string;
  /** Lower-case provider id. */
  readonly provider: string;
  readonly providerName: string;
  /** Lower-case region, a valid Kubernetes label value. */
  readonly region?: string;
  readonly site?: string;
  /** Upper-case ISO code of the provider's legal seat. */
  readonly legalSeat: string;
  readonly legalSeatName: string;
  /** The node's country is in the EEA. */
  readonly eea: boolean;
  /**
   * Laws of the seat's country that reach data abroad, e.g. ["US CLOUD Act"]. A plain array, not
   * `readonly string[]`: this type is a KvmNode output, and Pulumi's schema analyzer rejects those.
   */
  readonly foreignAccessLaws: string[];
  /** Lower-case code of the seat's country: whose law the data is under, e.g. "no" or "us". */
  readonly jurisdiction: string;
}

const LABEL_VALUE = /^[a-z0-9]([-a-z0-9_.]{0,61}[a-z0-9])?$/;
const PLACEMENT_KEYS = ["country", "provider", "region", "site", "legalSeat"];
// The regions an error suggests: the ones a Norwegian team is likely to have meant.
const EUROPEAN_AWS_REGIONS = Object.keys(awsRegions).filter((r) => r.startsWith("eu-"));

/**
 * Checks a placement and derives its residency facts. Throws one FortressInputError that lists
 * every problem, each under its property path (`placement.country`, ...).
 */
export function resolvePlacement(p: Placement, propertyPath = "placement"): ResolvedPlacement {
  const problems = new InputProblems();
  const resolved = checkPlacement(problems, p, propertyPath);
  problems.throwIfAny(propertyPath);
  // No problem recorded means the placement resolved.
  return resolved!;
}

/**
 * Like `resolvePlacement`, but records the problems in `problems` instead of throwing, so that a
 * component can report them together with those of its other args. Undefined when there is any.
 */
export function checkPlacement(
  problems: InputProblems,
  p: Placement,
  propertyPath = "placement",
): ResolvedPlacement | undefined {
  const found = new InputProblems();
  const resolved = checkPlacementInto(found, p, propertyPath);
  // Report in the order a user writes a placement, whichever check found the problem first.
  const order = (path: string) => {
    const i = PLACEMENT_KEYS.indexOf(path.slice(propertyPath.length + 1));
    return i < 0 ? PLACEMENT_KEYS.length : i;
  };
  const sorted = [...found.list].sort((a, b) => order(a.propertyPath) - order(b.propertyPath));
  for (const problem of sorted) problems.add(problem.propertyPath, problem.reason);
  return sorted.length === 0 ? resolved : undefined;
}

function checkPlacementInto(
  problems: InputProblems,
  p: Placement,
  propertyPath: string,
): ResolvedPlacement | undefined {
  const at = (key: string) => `${propertyPath}.${key}`;
  if (typeof p !== "object" || p === null || Array.isArray(p)) {
    problems.add(propertyPath, `must be an object with ${PLACEMENT_KEYS.join(", ")}`);
    return undefined;
  }
  const raw = p as unknown as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    problems.check(
      PLACEMENT_KEYS.includes(key),
      at(key),
      `is not a placement setting; use ${PLACEMENT_KEYS.join(", ")}`,
    );
  }
  const notText = new Set<string>();
  const text = (key: keyof Placement): string | undefined => {
    const value = raw[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value === "string") return value.trim();
    problems.add(at(key), `must be a string, not ${JSON.stringify(value)}`);
    notText.add(key);
    return undefined;
  };
  const countryText = text("country");
  const providerText = text("provider");
  const regionGiven = text("region");
  const regionText = regionGiven?.toLowerCase();
  const siteText = text("site");
  const seatText = text("legalSeat");

  const country = countryText === undefined ? undefined : knownCountry(problems, countryText, at("country"));
  const seat = seatText === undefined ? undefined : knownCountry(problems, seatText, at("legalSeat"));

  let provider: CloudProvider | undefined;
  if (notText.has("provider")) {
    // Already reported.
  } else if (providerText === undefined || providerText === "") {
    problems.add(at("provider"), `is required; use one of ${knownProviderIds()}`);
  } else {
    provider = findCloudProvider(providerText);
    if (!provider && seatText === undefined) {
      problems.add(
        at("provider"),
        `"${providerText}" is not in the catalogue; use one of ${knownProviderIds()}, ` +
          `or give ${at("legalSeat")}, the ISO code of the country of the provider's legal seat`,
      );
    }
    if (provider && seat && seat.code !== provider.legalSeat) {
      problems.add(
        at("legalSeat"),
        `is "${seat.code}", but ${provider.name} has its legal seat in ${inProse(countries[provider.legalSeat].name)} ` +
          `(${provider.legalSeat}); leave legalSeat out for a provider of the catalogue`,
      );
    }
  }

  if (regionText !== undefined) {
    problems.check(
      LABEL_VALUE.test(regionText),
      at("region"),
      `"${regionGiven}" is not a valid Kubernetes label value; use up to 63 letters, digits, "-", "_" ` +
        'or ".", starting and ending with a letter or digit, e.g. "no-oslo-1"',
    );
  }

  // An AWS region says which country the node is in, so the country can be left out.
  let regionCountry: Country | undefined;
  if (provider?.id === "aws" && regionText !== undefined && LABEL_VALUE.test(regionText)) {
    const awsRegion = findAwsRegion(regionText);
    if (!awsRegion) {
      problems.add(
        at("region"),
        `"${regionGiven}" is not an AWS region; use one such as ${EUROPEAN_AWS_REGIONS.join(", ")} ` +
          `(${Object.keys(awsRegions).length} commercial regions are known)`,
      );
    } else {
      regionCountry = countries[awsRegion.country];
      if (country && country.code !== regionCountry.code) {
        problems.add(
          at("country"),
          `is "${country.code}", but AWS region ${regionText} (${awsRegion.location}) is in ` +
            `${inProse(regionCountry.name)} (${regionCountry.code}); set country "${regionCountry.code}" or leave it out`,
        );
      }
    }
  }
  const countryDerivable = provider?.id === "aws" && regionText !== undefined;
  if (countryText === undefined && !notText.has("country") && !regionCountry && !countryDerivable) {
    problems.add(
      at("country"),
      'is required: the ISO 3166-1 alpha-2 code of the country the node is in, such as "NO" ' +
        '(it may be left out only for provider "aws" with a region)',
    );
  }

  const nodeCountry = country ?? regionCountry;
  const seatCountry = provider ? countries[provider.legalSeat] : seat;
  if (problems.list.length > 0 || !nodeCountry || !seatCountry || providerText === undefined) {
    return undefined;
  }
  return {
    country: nodeCountry.code,
    countryName: nodeCountry.name,
    provider: provider?.id ?? providerText.toLowerCase(),
    providerName: provider?.name ?? providerText,
    ...(regionText !== undefined && regionText !== "" ? { region: regionText } : {}),
    ...(siteText !== undefined && siteText !== "" ? { site: siteText } : {}),
    legalSeat: seatCountry.code,
    legalSeatName: seatCountry.name,
    eea: nodeCountry.eea,
    foreignAccessLaws: [...seatCountry.foreignAccessLaws],
    jurisdiction: seatCountry.code.toLowerCase(),
  };
}

function knownProviderIds(): string {
  return Object.keys(cloudProviders).join(", ");
}

function knownCountry(problems: InputProblems, code: string, propertyPath: string): Country | undefined {
  const found = findCountry(code);
  if (!found) problems.add(propertyPath, unknownCountryReason(code));
  return found;
}

/**
 * The foreign access laws that reach a placement's data: those it carries and those the catalogue
 * knows for its seat's country, so that a hand-made placement cannot drop the US CLOUD Act.
 */
export function foreignAccessLawsOf(p: ResolvedPlacement): string[] {
  const seat = findCountry(p.legalSeat);
  return [...new Set([...p.foreignAccessLaws, ...(seat?.foreignAccessLaws ?? [])])];
}

/**
 * The Kubernetes node labels of a placement:
 * - `region`: "no" for a node in Norway whose provider is under no foreign access law, else
 *   "global" (the convention the Fortress pattern pins personal data with);
 * - `topology.kubernetes.io/region`: the region, or the lower-case country code without one;
 * - `fortress.io/jurisdiction`: whose law the data is under (the seat's country).
 */
export function placementLabels(p: ResolvedPlacement): Record<string, string> {
  const norwegian = p.country.toUpperCase() === "NO" && foreignAccessLawsOf(p).length === 0;
  return {
    region: norwegian ? "no" : "global",
    "topology.kubernetes.io/region": p.region ?? p.country.toLowerCase(),
    "fortress.io/jurisdiction": p.jurisdiction,
  };
}
