import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import type { ConnectionSecrets } from '../../lib/connection/settings.js';
import type { ConnectionFields } from '../sf-connection/fields.js';

export interface SfConnectionConfig extends NodeDef, Omit<ConnectionFields, 'name'> {}

/** The runtime side of an sf-connection config node, as other nodes see it. */
export interface SfConnectionNode extends Node<ConnectionSecrets> {
  org: OrgConnection;
}

/**
 * The shared OrgConnection of a deployed sf-connection config node, or undefined when the id is
 * empty, unknown (not deployed yet) or names a node of another type.
 */
export function orgOf(RED: NodeAPI, id: unknown): OrgConnection | undefined {
  if (typeof id !== 'string' || !id) return undefined;
  const node = RED.nodes.getNode(id) as SfConnectionNode | null;
  return node?.type === 'sf-connection' ? node.org : undefined;
}

/** The OrgConnection of every deployed sf-connection node. */
export function allOrgs(RED: NodeAPI): OrgConnection[] {
  const ids: string[] = [];
  RED.nodes.eachNode((n) => void (n.type === 'sf-connection' && ids.push(n.id)));
  return ids.map((id) => orgOf(RED, id)).filter((o): o is OrgConnection => !!o);
}
