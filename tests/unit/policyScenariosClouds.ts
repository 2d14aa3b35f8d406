// Scenarios written for issue 12, across clouds: resources judged by their classification and
// location whatever their type, with a compliant twin each. Compliant twins on a US-owned cloud
// hold internal or public data: personal data there is under the US CLOUD Act wherever the region.
import { EngineResource, UNKNOWN } from "./packHarness";
import { Scenario } from "./policyScenarios";

const classified = (field: string, cls: string | undefined) =>
  cls === undefined ? {} : { [field]: { "data-classification": cls } };
const awsR = (type: string, name: string, cls: string | undefined, extra: Record<string, unknown>) =>
  ({ type, name, inputs: { ...classified("tags", cls), ...extra } }) as EngineResource;
const azure = (type: string, name: string, cls: string | undefined, extra: Record<string, unknown>) =>
  ({ type, name, inputs: { ...classified("tags", cls), ...extra } }) as EngineResource;
const gcp = (type: string, name: string, cls: string | undefined, extra: Record<string, unknown>) =>
  ({ type, name, inputs: { ...classified("labels", cls), ...extra } }) as EngineResource;

/** A violating resource and its twin with another class (or another location). */
const twin = (
  name: string,
  make: (cls: string | undefined) => EngineResource,
  bad: string | undefined,
  good: string | undefined,
  config?: Record<string, unknown>,
): Scenario => ({ name, violating: [make(bad)], compliant: [make(good)], ...(config ? { config } : {}) });

export const CLOUD_SCENARIOS: Scenario[] = [
  // AWS, types no list names
  twin(
    "Lambda function processing personal data in Ireland",
    (c) => awsR("aws:lambda/function:Function", "signup", c, { region: "eu-west-1" }),
    "personal",
    "internal",
  ),
  twin(
    "SNS topic (a type nobody listed) with personal data",
    (c) => awsR("aws:sns/topic:Topic", "notifications", c, { region: "eu-north-1" }),
    "personal",
    "public",
  ),
  twin(
    "Secrets Manager secret with health data",
    (c) => awsR("aws:secretsmanager/secret:Secret", "patient-keys", c, { region: "eu-central-1" }),
    "special",
    "internal",
  ),
  twin(
    "A made-up AWS type with a classification tag and a region",
    (c) => awsR("aws:madeup/thing:Thing", "mystery", c, { region: "eu-central-1" }),
    "personal",
    "internal",
  ),
  twin(
    "A made-up aws-native type with its tags as a list",
    (c) => ({
      type: "aws-native:newservice:Widget",
      name: "widget",
      inputs: { region: "eu-north-1", tags: [{ key: "data-classification", value: c }] },
    }),
    "personal",
    "internal",
  ),
  twin(
    "EBS volume in the US, region from its availability zone",
    (c) => awsR("aws:ebs/volume:Volume", "scratch", c, { availabilityZone: "us-east-1a" }),
    "personal",
    "internal",
  ),
  {
    name: "SQS queue whose region only its ARN tells (outputs)",
    violating: [
      {
        type: "aws:sqs/queue:Queue",
        name: "orders",
        inputs: { tags: { "data-classification": "personal" } },
        outputs: {
          tags: { "data-classification": "personal" },
          arn: "arn:aws:sqs:ap-southeast-2:123456789012:orders",
        },
      },
    ],
    compliant: [
      {
        type: "aws:sqs/queue:Queue",
        name: "orders",
        inputs: { tags: { "data-classification": "internal" } },
        outputs: {
          tags: { "data-classification": "internal" },
          arn: "arn:aws:sqs:ap-southeast-2:123456789012:orders",
        },
      },
    ],
  },
  twin(
    "Kinesis Firehose with personal data, region from the stack's aws:region",
    (c) => awsR("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream", "clicks", c, {}),
    "personal",
    "internal",
    { awsRegion: "us-west-2" },
  ),
  twin(
    "DynamoDB table whose region cannot be read",
    (c) => awsR("aws:dynamodb/table:Table", "profiles", c, {}),
    "personal",
    "public",
  ),
  twin(
    "RDS instance whose region is unknown at preview, its provider's known",
    (c) => ({
      ...awsR("aws:rds/instance:Instance", "crm", c, { region: UNKNOWN }),
      provider: { region: "eu-north-1" },
    }),
    "personal",
    "internal",
  ),
  twin(
    "S3 bucket classified by the provider's default tags",
    (c) => ({
      type: "aws:s3/bucketV2:BucketV2",
      name: "exports",
      inputs: {},
      provider: { region: "eu-north-1", defaultTags: { tags: { "data-classification": c } } },
    }),
    "personal",
    "internal",
  ),
  twin(
    "ElastiCache cluster with health data in London",
    (c) => awsR("aws:elasticache/cluster:Cluster", "sessions", c, { region: "eu-west-2" }),
    "special",
    "internal",
  ),
  twin(
    "An untagged SNS topic gets an advisory naming the tag",
    (c) => awsR("aws:sns/topic:Topic", "alerts", c, { region: "eu-north-1" }),
    undefined,
    "internal",
  ),
  twin(
    "An S3 object with the class 'confidential'",
    (c) => awsR("aws:s3/bucketObjectv2:BucketObjectv2", "report", c, { region: "eu-north-1" }),
    "confidential",
    "public",
  ),
  // Azure: Microsoft is a US entity, whatever the location
  twin(
    "Azure storage account with personal data in Norway East",
    (c) => azure("azure-native:storage:StorageAccount", "citizens", c, { location: "norwayeast" }),
    "personal",
    "internal",
  ),
  twin(
    "Azure Cosmos DB with health data in West Europe",
    (c) => azure("azure-native:documentdb:DatabaseAccount", "records", c, { location: "westeurope" }),
    "special",
    "public",
  ),
  twin(
    "Azure SQL database, location from its provider",
    (c) => ({
      ...azure("azure:mssql/database:Database", "billing", c, {}),
      provider: { location: "swedencentral" },
    }),
    "personal",
    "internal",
  ),
  twin(
    "Azure blob container whose location cannot be read",
    (c) => azure("azure-native:storage:BlobContainer", "uploads", c, {}),
    "personal",
    "internal",
  ),
  twin(
    "Azure location Fortress does not know",
    (c) => azure("azure-native:cache:Redis", "cache", c, { location: "marsnorth" }),
    "personal",
    "internal",
  ),
  twin(
    "An untagged Azure VM gets an advisory naming the tag",
    (c) => azure("azure-native:compute:VirtualMachine", "jump", c, { location: "norwayeast" }),
    undefined,
    "internal",
  ),
  twin(
    "Azure key vault with the class 'secret'",
    (c) => azure("azure-native:keyvault:Vault", "vault", c, { location: "norwayeast" }),
    "secret",
    "internal",
  ),
  // Google Cloud: labels, location/region/zone
  twin(
    "Cloud Storage bucket with personal data in the EU multi-region",
    (c) => gcp("gcp:storage/bucket:Bucket", "archive", c, { location: "EU" }),
    "personal",
    "internal",
  ),
  twin(
    "BigQuery dataset with personal data in Finland",
    (c) => gcp("gcp:bigquery/dataset:Dataset", "analytics", c, { location: "europe-north1" }),
    "personal",
    "public",
  ),
  twin(
    "Compute instance with personal data, region from its zone",
    (c) => gcp("gcp:compute/instance:Instance", "batch", c, { zone: "europe-west4-a" }),
    "personal",
    "internal",
  ),
  twin(
    "Memorystore with health data in Iowa",
    (c) => gcp("gcp:redis/instance:Instance", "triage", c, { region: "us-central1" }),
    "special",
    "internal",
  ),
  twin(
    "Pub/Sub topic, region from its provider",
    (c) => ({ ...gcp("gcp:pubsub/topic:Topic", "events", c, {}), provider: { region: "europe-west1" } }),
    "personal",
    "internal",
  ),
  twin(
    "A made-up google-native type with a label and a location",
    (c) => gcp("google-native:newapi/v1:Thing", "novel", c, { location: "europe-north2" }),
    "personal",
    "internal",
  ),
  twin(
    "An unlabelled Cloud Run service gets an advisory naming the label",
    (c) => gcp("gcp:cloudrun/service:Service", "frontend", c, { location: "europe-north1" }),
    undefined,
    "public",
  ),
];
