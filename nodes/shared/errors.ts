import type { NodeAPI } from 'node-red';

/**
 * Errors as the nodes hand them to done(err), so Catch nodes see them: the message is the whole
 * story (Catch shows `msg.error.message`), the code is an own property (Catch copies it into
 * `msg.error.code` for a Switch to route on), and there is no `cause` (Catch would copy the whole
 * chain into msg.error, where it is noise). Every node builds its Catch errors here.
 */
export type CatchError = Error & { code?: string };

/** An error worded from the node's message catalog. */
export function localizedError(RED: NodeAPI, key: string, args: Record<string, unknown> = {}, code?: string): CatchError {
  const err: CatchError = new Error(RED._(key, args as Record<string, string>));
  if (code) err.code = code;
  return err;
}

/**
 * `err` (from lib/, jsforce, anywhere) made fit for Catch: optionally led by a localized phrase
 * ("Collection failed: …"), its code kept, nothing else carried over.
 */
export function forCatch(err: unknown, lead?: string): CatchError {
  const message = err instanceof Error ? err.message : String(err);
  const out: CatchError = new Error(lead ? `${lead}: ${message}` : message);
  const code = codeOf(err);
  if (code) out.code = code;
  return out;
}

/** The machine-readable code an error carries, if any. */
export function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && code ? code : undefined;
}
