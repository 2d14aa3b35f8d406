import { DataClass, ResidencyNode, ResidencyPolicy, isPersonalData } from "./model";
import { ResolvedPlacement, foreignAccessLawsOf } from "./placement";
import { findCountry, inProse } from "./countries";
import { countryNames, listWords } from "./wording";

/** True when the placement's country is one the policy allows personal data in. */
export function inAllowedCountry(p: ResolvedPlacement, policy: ResidencyPolicy): boolean {
  return policy.allowedCountries.some((c) => c.toUpperCase() === p.country.toUpperCase());
}

/** Why a provider's seat puts data under a third country's jurisdiction (Schrems II). */
export interface ThirdCountryJurisdiction {
  /** Follows "legal seat in <country>", e.g. ", subject to the US CLOUD Act". */
  readonly short: string;
  /** A clause that explains the risk, e.g. "under the US CLOUD Act, authorities of ... can ...". */
  readonly explanation: string;
}

/**
 * Why a placement's provider puts data under a third country's jurisdiction; undefined when its
 * seat is in the EEA or in a country with a full adequacy decision, and no foreign access law
 * reaches it.
 */
export function thirdCountryJurisdiction(p: ResolvedPlacement): ThirdCountryJurisdiction | undefined {
  const laws = foreignAccessLawsOf(p);
  const seatName = inProse(p.legalSeatName);
  if (laws.length > 0) {
    return {
      short: `, subject to the ${listWords(laws)}`,
      explanation:
        `under the ${listWords(laws)}, authorities of ${seatName} can compel the provider to hand over ` +
        "data it holds anywhere",
    };
  }
  const seat = findCountry(p.legalSeat);
  if (seat?.eea || seat?.adequacy === "full") return undefined;
  return seat?.adequacy === "partial"
    ? {
        short: ", which has only a partial EU adequacy decision",
        explanation: `${seatName} has only a partial EU adequacy decision, which does not cover every provider seated there`,
      }
    : {
        short: ", which has no EU adequacy decision",
        explanation: `${seatName} has no EU adequacy decision`,
      };
}

/**
 * Whether a node may hold (store or process) data of a class under a policy, and if not, why, in
 * plain words. Internal and public data may be anywhere; personal and special data only in an
 * allowed country, with a provider outside third-country jurisdiction.
 */
export function canHoldData(
  node: ResidencyNode,
  dataClass: DataClass,
  policy: ResidencyPolicy,
): { ok: boolean; reasons: string[] } {
  if (!isPersonalData(dataClass)) return { ok: true, reasons: [] };
  const p = node.placement;
  const reasons: string[] = [];
  if (!inAllowedCountry(p, policy)) {
    reasons.push(
      `${inProse(p.countryName)} is not an allowed country (allowed: ${countryNames(policy.allowedCountries)})`,
    );
  }
  const jurisdiction = thirdCountryJurisdiction(p);
  if (jurisdiction !== undefined) {
    reasons.push(
      `its provider ${p.providerName} has its legal seat in ${inProse(p.legalSeatName)}${jurisdiction.short}`,
    );
  }
  return { ok: reasons.length === 0, reasons };
}
