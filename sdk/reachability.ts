// The "who can reach what" section of the residency report, read off the components of a program:
// the same declarations (k3sMeshPorts, mySqlMeshPorts) the components render their firewall
// drop-ins from, and each node's zone from the residency model. Kept apart from report.ts so the
// report's own layout can change without it.
import { k3sMeshPorts } from "./k3s";
import { mySqlMeshPorts } from "./mysql";
import { DataClass, ResidencyNode, ResidencyPolicy, isPersonalData, parseDataClass } from "./residency/model";
import { MeshPortDeclaration, ZonedNode, reachabilityMarkdown, zoneOf } from "./zones";

/** A component resource as a program registers it: its type, name and args. */
export interface ComponentFacts {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
}

type Named = { name?: string };
const names = (hosts: unknown): string[] =>
  ((hosts ?? []) as Named[]).map((h) => h?.name).filter((n): n is string => typeof n === "string");

/** The mesh ports every Fortress component of a program declares. */
export function meshDeclarationsOf(components: readonly ComponentFacts[]): MeshPortDeclaration[] {
  const out: MeshPortDeclaration[] = [];
  for (const c of components) {
    const p = c.props;
    if (c.type === "fortress:index:K3sCluster") {
      out.push(...k3sMeshPorts(`K3sCluster "${c.name}"`, names(p.servers), names(p.agents)));
    }
    if (c.type === "fortress:index:GtidMySql") {
      const members = [...names([p.primary]), ...names(p.replicas)];
      let dataClass = DataClass.Personal;
      try {
        dataClass = parseDataClass(p.dataClass ?? DataClass.Personal, "dataClass");
      } catch {
        // the component refuses it at construction
      }
      const port = typeof p.port === "number" ? p.port : 3306;
      const extra = Array.isArray(p.adminHosts) ? (p.adminHosts as string[]) : [];
      out.push(...mySqlMeshPorts(`GtidMySql "${c.name}"`, members, port, extra, isPersonalData(dataClass)));
    }
  }
  return out;
}

/** The section: each node of the deployment with its zone, and what reaches it over the mesh. */
export function reachabilitySection(
  nodes: readonly ResidencyNode[],
  components: readonly ComponentFacts[],
  policy: ResidencyPolicy,
): string {
  const zoned: ZonedNode[] = nodes.map((n) => ({ name: n.name, zone: zoneOf(n, policy) }));
  return reachabilityMarkdown(zoned, meshDeclarationsOf(components));
}
