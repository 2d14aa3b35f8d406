// The cluster side of the Kubernetes components: the node label and namespace that keep pods on
// Norwegian nodes, the error for a missing provider, and Helm chart pins. No Pulumi here.
import { InputProblems } from "../errors";

/**
 * The node label Norwegian nodes carry (`placementLabels` gives `region: "no"` to a node in Norway
 * whose provider is under no foreign access law). Workloads that may touch personal data are
 * pinned with it.
 */
export const NORWEGIAN_NODE_LABEL: Readonly<{ key: string; value: string }> = { key: "region", value: "no" };

/** A node selector for Norwegian nodes: `{ region: "no" }`. */
export function norwegianNodeSelector(): { [key: string]: string } {
  return { [NORWEGIAN_NODE_LABEL.key]: NORWEGIAN_NODE_LABEL.value };
}

/** The label a Kubernetes object that holds or processes classified data carries. */
export const DATA_CLASS_LABEL = "fortress.io/data-class";

/**
 * The namespace annotation of the `PodNodeSelector` admission plugin (K3sCluster enables it): the
 * API server merges this selector into every pod of the namespace and refuses a pod whose own
 * selector contradicts it, so no pod of the namespace can run off Norwegian nodes.
 */
export const POD_NODE_SELECTOR_ANNOTATION = "scheduler.alpha.kubernetes.io/node-selector";

/** A Namespace object as the API takes it. */
export interface NamespaceObject {
  readonly apiVersion: "v1";
  readonly kind: "Namespace";
  readonly metadata: {
    readonly name: string;
    readonly labels?: { [key: string]: string };
    readonly annotations?: { [key: string]: string };
  };
}

/** A namespace whose pods the API server keeps on Norwegian nodes (`region=no`). */
export function norwegianNamespace(name: string, labels: { [key: string]: string } = {}): NamespaceObject {
  return {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: {
      name,
      ...(Object.keys(labels).length > 0 ? { labels: sortedRecord(labels) } : {}),
      annotations: {
        [POD_NODE_SELECTOR_ANNOTATION]: `${NORWEGIAN_NODE_LABEL.key}=${NORWEGIAN_NODE_LABEL.value}`,
      },
    },
  };
}

/** The error when a component would fall back to the ambient kubeconfig's cluster. */
export function missingProviderMessage(subject: string): string {
  return (
    `${subject} has no Kubernetes provider: pass the cluster's provider as a resource option, ` +
    "{ providers: [cluster.provider] } or { provider: cluster.provider }, so that nothing lands in " +
    "whatever cluster the ambient kubeconfig points at"
  );
}

// Helm charts

/** Which chart release to install, and from where. */
export interface HelmChartArgs {
  /** The exact chart version. Default: the version this package was tested with. Changing it upgrades the release. */
  readonly version?: string;
  /**
   * The chart repository: an `https://` Helm repository or an `oci://` registry path, e.g. a
   * mirror in Norway. Default: the chart's upstream repository.
   */
  readonly repository?: string;
}

/** A chart to install: what `helm.v3.Release` takes as `chart`, `version` and `repositoryOpts`. */
export interface ChartSource {
  readonly chart: string;
  readonly version: string;
  /** Undefined for an OCI registry, whose address is in `chart`. */
  readonly repository?: string;
}

const CHART_VERSION = /^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

/** Checks a chart pin and resolves where the chart comes from. */
export function resolveChart(
  problems: InputProblems,
  chart: string,
  defaults: Required<HelmChartArgs>,
  args: HelmChartArgs | undefined,
  propertyPath: string,
): ChartSource {
  const version = args?.version ?? defaults.version;
  const repository = (args?.repository ?? defaults.repository).replace(/\/+$/, "");
  problems.check(
    CHART_VERSION.test(version),
    `${propertyPath}.version`,
    `${JSON.stringify(version)} is not an exact chart version; pin one such as "${defaults.version}"`,
  );
  problems.check(
    /^(https?|oci):\/\/[^\s'"]+$/.test(repository),
    `${propertyPath}.repository`,
    `${JSON.stringify(args?.repository)} is not a chart repository; use an https:// Helm repository or an ` +
      `oci:// registry path, e.g. "${defaults.repository}"`,
  );
  return repository.startsWith("oci://")
    ? { chart: `${repository}/${chart}`, version }
    : { chart, version, repository };
}

function sortedRecord(r: { [key: string]: string }): { [key: string]: string } {
  return Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
