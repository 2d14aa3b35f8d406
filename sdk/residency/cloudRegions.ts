// Where the hyperscalers' regions are, for resources that name a region or location rather than a
// node: Azure `location` and Google Cloud `location`/`region`/`zone`. AWS regions are in
// providers.ts. A location missing here is reported as unreadable, never guessed.

/** Azure regions (`location`, lower case without spaces) and the country of their data centres. */
export const azureRegions: Readonly<Record<string, string>> = Object.freeze({
  norwayeast: "NO",
  norwaywest: "NO",
  swedencentral: "SE",
  swedensouth: "SE",
  northeurope: "IE",
  westeurope: "NL",
  germanywestcentral: "DE",
  germanynorth: "DE",
  francecentral: "FR",
  francesouth: "FR",
  switzerlandnorth: "CH",
  switzerlandwest: "CH",
  uksouth: "GB",
  ukwest: "GB",
  polandcentral: "PL",
  italynorth: "IT",
  spaincentral: "ES",
  eastus: "US",
  eastus2: "US",
  westus: "US",
  westus2: "US",
  westus3: "US",
  centralus: "US",
  northcentralus: "US",
  southcentralus: "US",
  westcentralus: "US",
  canadacentral: "CA",
  canadaeast: "CA",
  brazilsouth: "BR",
  mexicocentral: "MX",
  australiaeast: "AU",
  australiasoutheast: "AU",
  japaneast: "JP",
  japanwest: "JP",
  koreacentral: "KR",
  centralindia: "IN",
  southeastasia: "SG",
  eastasia: "HK",
  southafricanorth: "ZA",
  uaenorth: "AE",
  qatarcentral: "QA",
  israelcentral: "IL",
  newzealandnorth: "NZ",
});

/** Google Cloud regions and the country of their data centres. */
export const gcpRegions: Readonly<Record<string, string>> = Object.freeze({
  "europe-north1": "FI",
  "europe-north2": "SE",
  "europe-west1": "BE",
  "europe-west2": "GB",
  "europe-west3": "DE",
  "europe-west4": "NL",
  "europe-west6": "CH",
  "europe-west8": "IT",
  "europe-west9": "FR",
  "europe-west10": "DE",
  "europe-west12": "IT",
  "europe-central2": "PL",
  "europe-southwest1": "ES",
  "us-central1": "US",
  "us-east1": "US",
  "us-east4": "US",
  "us-east5": "US",
  "us-south1": "US",
  "us-west1": "US",
  "us-west2": "US",
  "us-west3": "US",
  "us-west4": "US",
  "northamerica-northeast1": "CA",
  "northamerica-northeast2": "CA",
  "northamerica-south1": "MX",
  "southamerica-east1": "BR",
  "asia-east1": "TW",
  "asia-east2": "HK",
  "asia-northeast1": "JP",
  "asia-northeast2": "JP",
  "asia-northeast3": "KR",
  "asia-south1": "IN",
  "asia-southeast1": "SG",
  "asia-southeast2": "ID",
  "australia-southeast1": "AU",
  "me-central1": "QA",
  "me-west1": "IL",
  "africa-south1": "ZA",
});

/** Google Cloud multi-regions: the data may be in any of several countries. */
export const gcpMultiRegions: Readonly<Record<string, string>> = Object.freeze({
  eu: "several EU countries (the EU multi-region)",
  us: "several places in the United States (the US multi-region)",
  asia: "several Asian countries (the ASIA multi-region)",
});

/** The region of an AWS availability zone (`eu-north-1a`) or a Google Cloud zone (`europe-north1-b`). */
export function regionOfZone(zone: string): string {
  const z = zone.trim().toLowerCase();
  return /-[a-z]$/.test(z) ? z.slice(0, -2) : /\d[a-z]$/.test(z) ? z.slice(0, -1) : z;
}
