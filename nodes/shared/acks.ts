import type { NodeAPI } from 'node-red';
import type { AckOutcome } from '../../lib/runtime/acks.js';
import { runtimeContext } from '../../lib/runtime/context.js';

/** The node types that settle a batch by writing it. */
const WRITERS = new Set(['sf-upsert-out']);

/** Settles the acknowledgement handles a message carries (`msg.s2s.ack`); how many were still open. */
export function settleAcks(msg: object | undefined, outcome: AckOutcome, reason?: string): number {
  const ack = ((msg as { s2s?: { ack?: unknown } } | undefined)?.s2s)?.ack;
  return Array.isArray(ack) ? runtimeContext().acks.settleAll(ack, outcome, reason) : 0;
}

interface FlowNode {
  id: string;
  type: string;
  wires?: string[][];
  links?: string[] | string;
  mode?: string;
}

/**
 * Whether a writer (sf-upsert-out) can be reached from output `port` of node `id` along the
 * deployed wires, link nodes included. A source waits for acknowledgements only then: batches
 * wired to a debug node alone would otherwise hold it until each one's time ran out.
 */
export function writerDownstream(RED: NodeAPI, id: string, port = 0): boolean {
  const nodes = new Map<string, FlowNode>();
  RED.nodes.eachNode((n) => void nodes.set(n.id, n as unknown as FlowNode));
  const linkIns = (out: FlowNode) => (Array.isArray(out.links) ? out.links : typeof out.links === 'string' ? [out.links] : []);
  const start = nodes.get(id)?.wires?.[port] ?? [];
  const seen = new Set<string>();
  const todo = [...start];
  while (todo.length) {
    const next = todo.pop()!;
    if (seen.has(next)) continue;
    seen.add(next);
    const n = nodes.get(next);
    if (!n) continue;
    if (WRITERS.has(n.type)) return true;
    if (n.type === 'link out' && n.mode !== 'return') todo.push(...linkIns(n));
    for (const out of n.wires ?? []) todo.push(...out);
  }
  return false;
}
