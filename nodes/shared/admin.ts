import type { Request, RequestHandler, Response } from 'express';
import type { NodeAPI } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import { OrgCallError } from '../../lib/salesforce/errors.js';
import { orgOf } from './connection.js';

/** An answer other than 200, with the message the editor shows. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export type AdminHandler = (req: Request, res: Response) => unknown | Promise<unknown>;

/**
 * The suite's admin endpoints (editor pickers, Test connection, dead-letter review): each behind a
 * permission, answering its handler's value as JSON, and every failure as JSON `{error}` (never an
 * HTML page or a stack trace): an HttpError with its status, the org's own failure as 502, anything
 * else as 500. A handler that answers by itself (a CSV, a redirect page) returns undefined.
 */
export function adminRoute(RED: NodeAPI, method: 'get' | 'post', path: string, permission: string | null, handler: AdminHandler): void {
  const guards: RequestHandler[] = permission ? [RED.auth.needsPermission(permission) as RequestHandler] : [];
  RED.httpAdmin[method](path, ...guards, (req: Request, res: Response) => {
    let answer: unknown;
    try {
      answer = handler(req, res);
    } catch (err) {
      fail(res, err);
      return;
    }
    Promise.resolve(answer).then(
      (body) => {
        if (body !== undefined && !res.headersSent) res.json(body);
      },
      (err: unknown) => fail(res, err),
    );
  });
}

function fail(res: Response, err: unknown): void {
  if (res.headersSent) return;
  const status = err instanceof HttpError ? err.status : err instanceof OrgCallError ? 502 : 500;
  res.status(status).json({ error: err instanceof Error ? err.message : String(err) });
}

/** One text query or body parameter (the first, when repeated), trimmed; undefined when empty. */
export function param(source: unknown, name: string): string | undefined {
  const raw = (source as Record<string, unknown> | undefined)?.[name];
  const v = Array.isArray(raw) ? raw[0] : raw;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** The deployed connection a request names (`?connection=` or a body field), or a 400 saying what to do. */
export function requestedOrg(RED: NodeAPI, source: unknown, name = 'connection'): OrgConnection {
  const id = param(source, name);
  if (!id) throw new HttpError(400, RED._('s2s.errors.choose-connection', { what: name }));
  const org = orgOf(RED, id);
  if (!org) throw new HttpError(400, RED._('s2s.errors.deploy-connection'));
  return org;
}
