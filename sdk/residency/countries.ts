/**
 * Where personal data may go under the GDPR depends on the country: the EEA is one area, a few
 * other countries have an EU adequacy decision, and for the rest a transfer needs safeguards this
 * package cannot check.
 */
export type Adequacy = "eea" | "full" | "partial" | "none";

/** A country of the catalogue. */
export interface Country {
  /** ISO 3166-1 alpha-2 code, upper case, e.g. "NO". */
  readonly code: string;
  /** English short name, as a compliance officer reads it in a message. */
  readonly name: string;
  /** Member of the European Economic Area (EU 27, Norway, Iceland, Liechtenstein). */
  readonly eea: boolean;
  /**
   * "eea" for EEA members; "full" where an EU adequacy decision covers all transfers; "partial"
   * where it covers only some recipients (Canada: commercial organisations under PIPEDA; the US:
   * organisations self-certified under the EU-US Data Privacy Framework); "none" otherwise.
   */
  readonly adequacy: Adequacy;
  /**
   * Laws of this country that let its authorities compel a company seated here to hand over data
   * it stores anywhere in the world. Listed only where that reach is settled.
   */
  readonly foreignAccessLaws: readonly string[];
}

const EEA: Record<string, string> = {
  AT: "Austria",
  BE: "Belgium",
  BG: "Bulgaria",
  HR: "Croatia",
  CY: "Cyprus",
  CZ: "Czechia",
  DK: "Denmark",
  EE: "Estonia",
  FI: "Finland",
  FR: "France",
  DE: "Germany",
  GR: "Greece",
  HU: "Hungary",
  IE: "Ireland",
  IT: "Italy",
  LV: "Latvia",
  LT: "Lithuania",
  LU: "Luxembourg",
  MT: "Malta",
  NL: "Netherlands",
  PL: "Poland",
  PT: "Portugal",
  RO: "Romania",
  SK: "Slovakia",
  SI: "Slovenia",
  ES: "Spain",
  SE: "Sweden",
  IS: "Iceland",
  LI: "Liechtenstein",
  NO: "Norway",
};

// Countries outside the EEA with an EU adequacy decision, and the two with a partial one.
const ADEQUATE: Record<string, [string, Adequacy]> = {
  AD: ["Andorra", "full"],
  AR: ["Argentina", "full"],
  CH: ["Switzerland", "full"],
  FO: ["Faroe Islands", "full"],
  GB: ["United Kingdom", "full"],
  GG: ["Guernsey", "full"],
  IL: ["Israel", "full"],
  IM: ["Isle of Man", "full"],
  JE: ["Jersey", "full"],
  JP: ["Japan", "full"],
  KR: ["South Korea", "full"],
  NZ: ["New Zealand", "full"],
  UY: ["Uruguay", "full"],
  CA: ["Canada", "partial"],
  US: ["United States", "partial"],
};

// Where a provider of the catalogue has a region or a seat, with no adequacy decision.
const OTHERS: Record<string, string> = {
  AE: "United Arab Emirates",
  AU: "Australia",
  BH: "Bahrain",
  BR: "Brazil",
  CL: "Chile",
  CN: "China",
  CO: "Colombia",
  HK: "Hong Kong",
  ID: "Indonesia",
  IN: "India",
  KE: "Kenya",
  MA: "Morocco",
  MX: "Mexico",
  MY: "Malaysia",
  QA: "Qatar",
  RS: "Serbia",
  SA: "Saudi Arabia",
  SG: "Singapore",
  TH: "Thailand",
  TW: "Taiwan",
  ZA: "South Africa",
};

// The CLOUD Act (18 U.S.C. 2713) reaches data that a US company controls wherever it is stored.
const FOREIGN_ACCESS_LAWS: Record<string, readonly string[]> = {
  US: ["US CLOUD Act"],
};

function country(code: string, name: string, adequacy: Adequacy): Country {
  return Object.freeze({
    code,
    name,
    eea: adequacy === "eea",
    adequacy,
    foreignAccessLaws: Object.freeze([...(FOREIGN_ACCESS_LAWS[code] ?? [])]),
  });
}

/** Every country of the catalogue, keyed by its upper-case ISO 3166-1 alpha-2 code. */
export const countries: Readonly<Record<string, Country>> = Object.freeze(
  Object.fromEntries(
    [
      ...Object.entries(EEA).map(([code, name]) => country(code, name, "eea")),
      ...Object.entries(ADEQUATE).map(([code, [name, adequacy]]) => country(code, name, adequacy)),
      ...Object.entries(OTHERS).map(([code, name]) => country(code, name, "none")),
    ]
      .sort((a, b) => a.code.localeCompare(b.code))
      .map((c) => [c.code, c]),
  ),
);

/** The country with this ISO code, in any case and with surrounding blanks; undefined if unknown. */
export function findCountry(code: string): Country | undefined {
  const key = code.trim().toUpperCase();
  return Object.prototype.hasOwnProperty.call(countries, key) ? countries[key] : undefined;
}

/** The country whose English name this is (any case), to suggest its code when a name was given. */
export function findCountryByName(name: string): Country | undefined {
  const wanted = name.trim().toLowerCase();
  return Object.values(countries).find((c) => c.name.toLowerCase() === wanted);
}

/**
 * Why a string is not a country of the catalogue, as an error reason; suggests the code when a
 * country's name was given instead.
 */
export function unknownCountryReason(value: string): string {
  const byName = findCountryByName(value);
  return byName
    ? `"${value}" is a country name; use its ISO 3166-1 alpha-2 code "${byName.code}"`
    : `"${value}" is not a known country code; it must be an ISO 3166-1 alpha-2 code such as "NO"`;
}

// Country names that take an article in a sentence ("in the United States").
const WITH_ARTICLE = /^(United |Netherlands$|Faroe Islands$|Isle of Man$)/;

/** A country name as it reads in a sentence: "the United States", "Norway". */
export function inProse(countryName: string): string {
  return WITH_ARTICLE.test(countryName) ? `the ${countryName}` : countryName;
}
