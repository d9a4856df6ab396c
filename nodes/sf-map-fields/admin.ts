import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import type { OrgConnection } from '../../lib/connection/org-connection.js';
import {
  MAPPING_TEMPLATES, MappingError, parseMapping, redJsonataEvaluator, suggestFieldMappings, type RedJsonataUtil,
} from '../../lib/mapping/index.js';
import { orgOf } from '../shared/types.js';
import { compileForOrgs } from '../../lib/mapping/compile-for-orgs.js';
import { OrgDescribes, summarize } from '../../lib/mapping/org-describes.js';

/** Long enough for one editing session's pickers, short enough to see a field added in Setup. */
const EDITOR_DESCRIBE_TTL_MS = 2 * 60_000;

/** An answer other than 200, with a message for the editor. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The editor's view of the orgs: object and field pickers, auto-map suggestions and a compile
 * check before deploy. Read-only, so one `sf-map-fields.read` permission covers them all.
 */
export function registerAdminEndpoints(RED: NodeAPI): void {
  const read = RED.auth.needsPermission('sf-map-fields.read');
  // Keyed by the OrgConnection, so a redeployed connection (a new one) starts afresh.
  const cache = new WeakMap<OrgConnection, OrgDescribes>();

  function describesOf(id: unknown, what: string): OrgDescribes {
    if (typeof id !== 'string' || !id) throw new HttpError(400, RED._('sf-map-fields.errors.choose-connection', { what }));
    const org = orgOf(RED, id);
    if (!org) throw new HttpError(400, RED._('sf-map-fields.errors.deploy-connection'));
    let d = cache.get(org);
    if (!d) cache.set(org, (d = new OrgDescribes(org, EDITOR_DESCRIBE_TTL_MS)));
    return d;
  }

  async function describeOrFail(d: OrgDescribes, object: unknown) {
    if (typeof object !== 'string' || !object) throw new HttpError(400, RED._('sf-map-fields.errors.choose-object'));
    const found = await d.describe(object);
    if (!found) throw new HttpError(404, RED._('sf-map-fields.errors.no-object', { object, org: d.org.settings.name }));
    return found;
  }

  /** Runs `work` and answers with its JSON, or with the error and a fitting status. */
  function answer(res: Response, work: () => Promise<unknown>): void {
    work().then(
      (body) => res.json(body),
      (err: Error) => res.status(err instanceof HttpError ? err.status : 502).json({ error: err.message }),
    );
  }

  RED.httpAdmin.get('/sf-map-fields/objects', read, (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    answer(res, async () => (await describesOf(q.connection, 'connection').list()).slice().sort((a, b) => a.label.localeCompare(b.label)));
  });

  RED.httpAdmin.get('/sf-map-fields/describe', read, (req: Request, res: Response) => {
    const q = req.query as Record<string, unknown>;
    answer(res, async () => summarize(await describeOrFail(describesOf(q.connection, 'connection'), q.object)));
  });

  RED.httpAdmin.post('/sf-map-fields/suggest', read, (req: Request, res: Response) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    answer(res, async () => {
      const [source, target] = await Promise.all([
        describeOrFail(describesOf(b.source, 'source'), b.sourceObject),
        describeOrFail(describesOf(b.target, 'target'), b.targetObject),
      ]);
      return suggestFieldMappings(source, target);
    });
  });

  RED.httpAdmin.post('/sf-map-fields/check', read, (req: Request, res: Response) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    answer(res, async () => {
      const doc = b.mapping;
      if (doc === undefined || doc === null || doc === '') throw new HttpError(400, RED._('sf-map-fields.errors.no-mapping'));
      try {
        const mapping = parseMapping(doc as string | object);
        // Expressions are only parsed here, never evaluated, so no node is needed for $env or context.
        const evaluator = redJsonataEvaluator(RED.util as unknown as RedJsonataUtil, {});
        const compiled = await compileForOrgs(mapping, describesOf(b.source, 'source'), describesOf(b.target, 'target'), evaluator);
        return { ok: true, problems: [], warnings: compiled.warnings, stamp: compiled.stamp, sourceFields: compiled.sourceFields };
      } catch (err) {
        if (err instanceof MappingError) return { ok: false, problems: err.problems, warnings: err.warnings };
        throw err;
      }
    });
  });

  RED.httpAdmin.get('/sf-map-fields/templates', read, (_req: Request, res: Response) => {
    res.json(MAPPING_TEMPLATES);
  });
}
