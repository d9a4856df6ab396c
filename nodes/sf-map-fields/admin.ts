import type { NodeAPI } from 'node-red';
import {
  MAPPING_TEMPLATES, MappingError, compileForOrgs, parseMapping, redJsonataEvaluator, suggestFieldMappings, type RedJsonataUtil,
} from '../../lib/mapping/index.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { adminRoute, HttpError, param, requestedOrg } from '../shared/admin.js';

/**
 * What the mapping editor asks beyond the shared object and field pickers (`/sf-connection/objects`
 * and `/describe`): auto-map suggestions and a compile check before deploy. Read-only, so one
 * `sf-map-fields.read` permission covers them all.
 */
export function registerAdminEndpoints(RED: NodeAPI): void {
  const read = 'sf-map-fields.read';

  const apiOf = (body: unknown, side: 'source' | 'target') => new OrgApi(requestedOrg(RED, body, side));

  async function describeOrFail(api: OrgApi, object: string | undefined) {
    if (!object) throw new HttpError(400, RED._('s2s.errors.choose-object'));
    const found = await api.describeIfExists(object);
    if (!found) throw new HttpError(404, RED._('s2s.errors.no-object', { object, org: api.org.settings.name }));
    return found;
  }

  adminRoute(RED, 'post', '/sf-map-fields/suggest', read, async (req) => {
    const b = req.body ?? {};
    const [source, target] = await Promise.all([
      describeOrFail(apiOf(b, 'source'), param(b, 'sourceObject')),
      describeOrFail(apiOf(b, 'target'), param(b, 'targetObject')),
    ]);
    return suggestFieldMappings(source, target);
  });

  adminRoute(RED, 'post', '/sf-map-fields/check', read, async (req) => {
    const b = (req.body ?? {}) as Record<string, unknown>;
    const doc = b.mapping;
    if (doc === undefined || doc === null || doc === '') throw new HttpError(400, RED._('sf-map-fields.errors.no-mapping'));
    try {
      const mapping = parseMapping(doc as string | object);
      // Expressions are only parsed here, never evaluated, so no node is needed for $env or context.
      const evaluator = redJsonataEvaluator(RED.util as unknown as RedJsonataUtil, {});
      const compiled = await compileForOrgs(mapping, apiOf(b, 'source'), apiOf(b, 'target'), evaluator);
      return { ok: true, problems: [], warnings: compiled.warnings, stamp: compiled.stamp, sourceFields: compiled.sourceFields };
    } catch (err) {
      if (err instanceof MappingError) return { ok: false, problems: err.problems, warnings: err.warnings };
      throw err;
    }
  });

  adminRoute(RED, 'get', '/sf-map-fields/templates', read, () => MAPPING_TEMPLATES);
}
