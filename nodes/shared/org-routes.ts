import type { NodeAPI } from 'node-red';
import { soqlIdentifier } from '../../lib/collect/soql-text.js';
import { describeSummary, objectSummaries } from '../../lib/salesforce/summaries.js';
import { OrgApi } from '../../lib/salesforce/org-api.js';
import { adminRoute, HttpError, param, requestedOrg } from './admin.js';

/**
 * What every editor asks of an org, answered in one shape for all of them, through the deployed
 * connection and its describe cache:
 *
 * - `GET /sf-connection/objects?connection=ID` → `{objects: [{name, label, custom, keyPrefix, queryable, createable, updateable}]}`
 * - `GET /sf-connection/describe?connection=ID&object=Account` → `{name, label, keyPrefix, fields: [...], children: [...]}`
 *
 * `refresh=true` forgets the cached answer first (after a change in Setup).
 */
export function registerOrgRoutes(RED: NodeAPI): void {
  const read = 'sf-connection.read';
  const refresh = (q: unknown) => param(q, 'refresh') === 'true';

  adminRoute(RED, 'get', '/sf-connection/objects', read, async (req) => {
    const api = new OrgApi(requestedOrg(RED, req.query));
    if (refresh(req.query)) api.invalidateDescribes();
    return { objects: objectSummaries(await api.objects()) };
  });

  adminRoute(RED, 'get', '/sf-connection/describe', read, async (req) => {
    const api = new OrgApi(requestedOrg(RED, req.query));
    const object = param(req.query, 'object');
    if (!object) throw new HttpError(400, RED._('s2s.errors.choose-object'));
    try {
      soqlIdentifier(object);
    } catch (err) {
      throw new HttpError(400, `object: ${(err as Error).message}`);
    }
    if (refresh(req.query)) api.invalidateDescribes(object);
    const d = await api.describeIfExists(object);
    if (!d) throw new HttpError(404, RED._('s2s.errors.no-object', { object, org: api.org.settings.name }));
    return describeSummary(d);
  });
}
