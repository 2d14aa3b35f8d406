/** A hosting provider of the catalogue. Its legal seat decides whose laws reach the data it holds. */
export interface CloudProvider {
  /** Lower-case id used in a placement, e.g. "coolvds". */
  readonly id: string;
  /** The name a compliance officer knows, e.g. "Amazon Web Services". */
  readonly name: string;
  /** ISO code of the country of the provider's (ultimate) legal seat, e.g. "US". */
  readonly legalSeat: string;
}

function provider(id: string, name: string, legalSeat: string): CloudProvider {
  return Object.freeze({ id, name, legalSeat });
}

/** The catalogue of providers, keyed by id. */
export const cloudProviders: Readonly<Record<string, CloudProvider>> = Object.freeze(
  Object.fromEntries(
    [
      provider("coolvds", "CoolVDS", "NO"),
      provider("hetzner", "Hetzner Online", "DE"),
      provider("upcloud", "UpCloud", "FI"),
      provider("ovhcloud", "OVHcloud", "FR"),
      provider("scaleway", "Scaleway", "FR"),
      provider("exoscale", "Exoscale", "CH"),
      provider("safespring", "Safespring", "SE"),
      provider("binero", "Binero", "SE"),
      provider("elastx", "Elastx", "SE"),
      provider("ionos", "IONOS", "DE"),
      provider("infomaniak", "Infomaniak", "CH"),
      provider("leaseweb", "Leaseweb", "NL"),
      provider("aws", "Amazon Web Services", "US"),
      provider("azure", "Microsoft Azure", "US"),
      provider("gcp", "Google Cloud", "US"),
      provider("digitalocean", "DigitalOcean", "US"),
      provider("akamai", "Akamai Cloud (Linode)", "US"),
      provider("oracle", "Oracle Cloud Infrastructure", "US"),
      provider("vultr", "Vultr", "US"),
    ]
      .sort((a, b) => a.id.localeCompare(b.id))
      .map((p) => [p.id, p]),
  ),
);

// Former or common names that users write, mapped to the catalogue id.
const PROVIDER_ALIASES: Readonly<Record<string, string>> = { linode: "akamai", ovh: "ovhcloud" };

/** The provider with this id or alias (any case); undefined if it is not in the catalogue. */
export function findCloudProvider(id: string): CloudProvider | undefined {
  const key = id.trim().toLowerCase();
  const canonical = Object.prototype.hasOwnProperty.call(PROVIDER_ALIASES, key) ? PROVIDER_ALIASES[key] : key;
  return Object.prototype.hasOwnProperty.call(cloudProviders, canonical)
    ? cloudProviders[canonical]
    : undefined;
}

/** Where an AWS region is. */
export interface AwsRegion {
  /** ISO code of the country the region's data centres are in. */
  readonly country: string;
  /** The region's name in AWS's console, e.g. "Stockholm". */
  readonly location: string;
}

/** Every commercial AWS region (the `aws` partition; not GovCloud, not China). */
export const awsRegions: Readonly<Record<string, AwsRegion>> = Object.freeze({
  "af-south-1": { country: "ZA", location: "Cape Town" },
  "ap-east-1": { country: "HK", location: "Hong Kong" },
  "ap-east-2": { country: "TW", location: "Taipei" },
  "ap-northeast-1": { country: "JP", location: "Tokyo" },
  "ap-northeast-2": { country: "KR", location: "Seoul" },
  "ap-northeast-3": { country: "JP", location: "Osaka" },
  "ap-south-1": { country: "IN", location: "Mumbai" },
  "ap-south-2": { country: "IN", location: "Hyderabad" },
  "ap-southeast-1": { country: "SG", location: "Singapore" },
  "ap-southeast-2": { country: "AU", location: "Sydney" },
  "ap-southeast-3": { country: "ID", location: "Jakarta" },
  "ap-southeast-4": { country: "AU", location: "Melbourne" },
  "ap-southeast-5": { country: "MY", location: "Malaysia" },
  "ap-southeast-6": { country: "NZ", location: "New Zealand" },
  "ap-southeast-7": { country: "TH", location: "Thailand" },
  "ca-central-1": { country: "CA", location: "Canada (Central)" },
  "ca-west-1": { country: "CA", location: "Calgary" },
  "eu-central-1": { country: "DE", location: "Frankfurt" },
  "eu-central-2": { country: "CH", location: "Zurich" },
  "eu-north-1": { country: "SE", location: "Stockholm" },
  "eu-south-1": { country: "IT", location: "Milan" },
  "eu-south-2": { country: "ES", location: "Spain" },
  "eu-west-1": { country: "IE", location: "Ireland" },
  "eu-west-2": { country: "GB", location: "London" },
  "eu-west-3": { country: "FR", location: "Paris" },
  "il-central-1": { country: "IL", location: "Tel Aviv" },
  "me-central-1": { country: "AE", location: "UAE" },
  "me-south-1": { country: "BH", location: "Bahrain" },
  "mx-central-1": { country: "MX", location: "Mexico (Central)" },
  "sa-east-1": { country: "BR", location: "São Paulo" },
  "us-east-1": { country: "US", location: "N. Virginia" },
  "us-east-2": { country: "US", location: "Ohio" },
  "us-west-1": { country: "US", location: "N. California" },
  "us-west-2": { country: "US", location: "Oregon" },
});

/** The AWS region with this name (any case); undefined if it is not a commercial AWS region. */
export function findAwsRegion(region: string): AwsRegion | undefined {
  const key = region.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(awsRegions, key) ? awsRegions[key] : undefined;
}
