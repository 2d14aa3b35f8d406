// Any resource of a hyperscaler (AWS, Azure, Google Cloud), judged by what it says it holds (its
// classification tag or label) and where it would live (its region or location, else its
// provider's), whatever its type: a type nobody listed is judged too. Pure.
import { countries } from "../residency/countries";
import { azureRegions, gcpMultiRegions, gcpRegions, regionOfZone } from "../residency/cloudRegions";
import { DataClass } from "../residency/model";
import { ResolvedPlacement } from "../residency/placement";
import { CloudProvider, cloudProviders, findAwsRegion } from "../residency/providers";
import { dig, isUnknown, listAt, mapAt, textAt } from "./props";

/** The tag (AWS, Azure) or label (Google Cloud) a resource that holds or processes data carries. */
export const CLASSIFICATION_TAG = "data-classification";

/** A hyperscaler as the pack knows it: its provider in the catalogue and how it names things. */
export interface Cloud {
  readonly provider: CloudProvider;
  /** Short name for node names: "AWS", "Azure", "Google Cloud". */
  readonly short: string;
  /** What its resources carry the classification in: "tag" or "label". */
  readonly tagWord: "tag" | "label";
  readonly locationWord: string;
}

const CLOUDS: Readonly<Record<string, Cloud>> = {
  aws: { provider: cloudProviders.aws, short: "AWS", tagWord: "tag", locationWord: "region" },
  azure: { provider: cloudProviders.azure, short: "Azure", tagWord: "tag", locationWord: "location" },
  gcp: { provider: cloudProviders.gcp, short: "Google Cloud", tagWord: "label", locationWord: "location" },
};

// Pulumi packages per cloud (the first part of a type token).
const PACKAGES: Readonly<Record<string, keyof typeof CLOUDS>> = {
  aws: "aws",
  "aws-native": "aws",
  awsx: "aws",
  azure: "azure",
  "azure-native": "azure",
  gcp: "gcp",
  "google-native": "gcp",
};

/** The cloud of a resource type (`aws:s3/bucketV2:BucketV2` is AWS), or undefined. */
export function cloudOf(type: string): Cloud | undefined {
  const [pkg, module] = type.split(":");
  // Providers and Pulumi's own resources hold no data.
  if (pkg === "pulumi" || module === undefined) return undefined;
  const id = Object.prototype.hasOwnProperty.call(PACKAGES, pkg) ? PACKAGES[pkg] : undefined;
  return id ? CLOUDS[id] : undefined;
}

/** What a cloud resource declares about its data. */
export type Classification =
  | { readonly state: "classified"; readonly dataClass: DataClass; readonly evidence: string }
  | { readonly state: "missing" }
  | { readonly state: "invalid"; readonly value: string; readonly evidence: string };

const DATA_CLASSES: readonly string[] = Object.values(DataClass);

/** The data class a tag or label value declares, or why it cannot be read. */
export function declaredClass(value: unknown): { dataClass?: DataClass; problem?: string } {
  if (value === undefined || value === null || value === "" || isUnknown(value))
    return { problem: "missing" };
  const v = typeof value === "string" ? value.trim().toLowerCase() : "";
  return DATA_CLASSES.includes(v) ? { dataClass: v as DataClass } : { problem: JSON.stringify(value) };
}

// Where each cloud keeps tags or labels, inputs first, then the outputs' merged forms.
const TAG_FIELDS: Readonly<Record<string, readonly string[]>> = {
  AWS: ["tags", "tagsAll"],
  Azure: ["tags"],
  "Google Cloud": ["labels", "userLabels", "resourceLabels", "effectiveLabels", "terraformLabels"],
};

/** A map of tags, also from aws-native's list form (`[{ key, value }]`). */
function tagMap(props: Record<string, unknown>, field: string): Record<string, unknown> {
  const list = listAt(props, [field]);
  if (list.length > 0) {
    return Object.fromEntries(
      list.flatMap((t) => {
        const key = textAt(t, ["key"]) ?? textAt(t, ["Key"]);
        return key ? [[key, dig(t, ["value"]) ?? dig(t, ["Value"])]] : [];
      }),
    );
  }
  return mapAt(props, [field]);
}

/** The classification a cloud resource carries, or its provider's default tags or labels give it. */
export function classificationOf(
  cloud: Cloud,
  props: Record<string, unknown>,
  providerProps: Record<string, unknown> = {},
): Classification {
  const sources: [string, Record<string, unknown>][] = [
    ...TAG_FIELDS[cloud.short].map((f): [string, Record<string, unknown>] => [f, tagMap(props, f)]),
    ["the provider's defaultTags", mapAt(providerProps, ["defaultTags", "tags"])],
    ["the provider's defaultLabels", mapAt(providerProps, ["defaultLabels"])],
  ];
  for (const [field, map] of sources) {
    const value = map[CLASSIFICATION_TAG];
    if (value === undefined || isUnknown(value)) continue;
    const evidence = `${cloud.tagWord} ${CLASSIFICATION_TAG}=${JSON.stringify(value)} (${field})`;
    const declared = declaredClass(value);
    return declared.dataClass
      ? { state: "classified", dataClass: declared.dataClass, evidence }
      : { state: "invalid", value: declared.problem!, evidence };
  }
  return { state: "missing" };
}

/** Where a cloud resource lives, and which property said so; `region` undefined when unreadable. */
export interface CloudLocation {
  readonly region?: string;
  readonly evidence: string;
}

/** The region of an ARN (`arn:aws:sqs:eu-north-1:...`); empty for global services such as S3. */
const arnRegion = (arn: string | undefined): string | undefined => {
  const region = arn?.split(":")[3];
  return region ? region : undefined;
};

/**
 * Where a resource lives: its own region or location (or zone), else its provider's, else the
 * stack's default for that cloud (the pack's `awsRegion` setting, for `aws:region`).
 */
export function locationOf(
  cloud: Cloud,
  props: Record<string, unknown>,
  providerProps: Record<string, unknown>,
  defaults: { readonly awsRegion?: string } = {},
): CloudLocation {
  const own: [string, string | undefined][] =
    cloud.short === "AWS"
      ? [
          ["region", textAt(props, ["region"])],
          ["availabilityZone", mapZone(textAt(props, ["availabilityZone"]))],
          ["arn", arnRegion(textAt(props, ["arn"]))],
        ]
      : cloud.short === "Azure"
        ? [["location", textAt(props, ["location"])]]
        : [
            ["location", textAt(props, ["location"])],
            ["region", textAt(props, ["region"])],
            ["zone", mapZone(textAt(props, ["zone"]))],
          ];
  const fromProvider: [string, string | undefined][] =
    cloud.short === "Google Cloud"
      ? [
          ["the provider's region", textAt(providerProps, ["region"])],
          ["the provider's zone", mapZone(textAt(providerProps, ["zone"]))],
        ]
      : [[`the provider's ${cloud.locationWord}`, textAt(providerProps, [cloud.locationWord])]];
  const stack: [string, string | undefined][] =
    cloud.short === "AWS" ? [["the stack's aws:region (pack setting awsRegion)", defaults.awsRegion]] : [];
  for (const [from, value] of [...own, ...fromProvider, ...stack]) {
    if (value) return { region: value.toLowerCase(), evidence: `${cloud.locationWord} ${value} (${from})` };
  }
  return {
    evidence: `no ${cloud.locationWord} could be read (not in the resource's properties, nor its provider's${
      cloud.short === "AWS" ? ", nor the pack setting awsRegion" : ""
    })`,
  };
}

const mapZone = (zone: string | undefined) => (zone ? regionOfZone(zone) : undefined);

/** The country (code and name) of a cloud region; undefined when the region is not known. */
function countryOfRegion(cloud: Cloud, region: string): { code: string; name: string } | undefined {
  const code =
    cloud.short === "AWS"
      ? findAwsRegion(region)?.country
      : cloud.short === "Azure"
        ? azureRegions[region.replace(/\s+/g, "")]
        : gcpRegions[region];
  if (code) return { code, name: countries[code].name };
  const multi = cloud.short === "Google Cloud" ? gcpMultiRegions[region] : undefined;
  return multi ? { code: "??", name: multi } : undefined;
}

/**
 * The placement of a cloud location, as the rules take it. A region that cannot be read or is not
 * known is not taken to be anywhere in particular: its country says so, and no allowed country
 * matches it. The provider's legal seat is known either way.
 */
export function cloudPlacement(cloud: Cloud, region: string | undefined): ResolvedPlacement {
  const seat = countries[cloud.provider.legalSeat];
  const country = region
    ? (countryOfRegion(cloud, region) ?? {
        code: "??",
        name: `an unknown place (${cloud.locationWord} "${region}" is not one Fortress knows)`,
      })
    : { code: "??", name: `an unknown place (its ${cloud.locationWord} could not be read)` };
  return {
    country: country.code,
    countryName: country.name,
    provider: cloud.provider.id,
    providerName: cloud.provider.name,
    ...(region ? { region } : {}),
    legalSeat: seat.code,
    legalSeatName: seat.name,
    eea: countries[country.code]?.eea ?? false,
    foreignAccessLaws: [...seat.foreignAccessLaws],
    jurisdiction: seat.code.toLowerCase(),
  };
}

/** The node a cloud location stands for: `AWS eu-north-1`, `Azure (location unreadable)`. */
export function cloudNodeName(cloud: Cloud, region: string | undefined): string {
  return `${cloud.short} ${region ?? `(${cloud.locationWord} unreadable)`}`;
}

/** True when a resource looks like it lives somewhere or can be tagged: worth an advisory when unclassified. */
export function isPlaced(cloud: Cloud, props: Record<string, unknown>): boolean {
  return (
    TAG_FIELDS[cloud.short].some((f) => f in props) ||
    ["region", "location", "zone", "availabilityZone"].some((f) => f in props)
  );
}
