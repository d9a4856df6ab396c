import type { Node, NodeAPI, NodeDef } from 'node-red';
import type { ConnectionState, OrgConnection } from '../../lib/connection/org-connection.js';
import type { ConnectionSecrets } from '../../lib/connection/settings.js';

export interface SfConnectionConfig extends NodeDef {
  environment: string;
  domain: string;
  apiVersion: string;
  authFlow: string;
  clientId: string;
  username: string;
  instanceUrl: string;
  callOptionsClient: string;
  apiBudgetPercent: string | number;
}

/** The runtime side of an sf-connection config node, as other nodes see it. */
export interface SfConnectionNode extends Node<ConnectionSecrets> {
  org: OrgConnection;
}

/** Node status for a connection state: short texts (i18n keys) fit for Status-node alerting. */
export function statusFor(state: ConnectionState, detail?: string): { fill: 'green' | 'yellow' | 'red' | 'grey'; shape: 'dot' | 'ring'; text: string } {
  switch (state) {
    case 'connected':
      return { fill: 'green', shape: 'dot', text: 'sf-connection.status.connected' };
    case 'connecting':
      return { fill: 'yellow', shape: 'ring', text: 'sf-connection.status.connecting' };
    case 'expired':
      return { fill: 'red', shape: 'ring', text: detail ?? 'sf-connection.status.expired' };
    case 'failed':
      return { fill: 'red', shape: 'dot', text: detail ?? 'sf-connection.status.failed' };
    case 'unavailable':
      return { fill: 'red', shape: 'ring', text: 'sf-connection.status.unavailable' };
    default:
      return { fill: 'grey', shape: 'ring', text: 'sf-connection.status.idle' };
  }
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
