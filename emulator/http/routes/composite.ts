import type { RouteModule } from '../../emulator.js';
import { errors } from '../../errors.js';
import type { RequestContext } from '../context.js';
import type { Handler } from '../router.js';
import {
  createRecords,
  deleteRecords,
  retrieveRecordsGet,
  retrieveRecordsPost,
  updateRecords,
  upsertRecords,
} from '../composite/collections.js';
import { runComposite } from '../composite/composite.js';
import { createTree } from '../composite/tree.js';

/** A resource that older API versions do not have answers them like any unknown path. */
function since(version: number, handler: Handler): Handler {
  return (ctx: RequestContext) => {
    if (Number(ctx.apiVersion) < version) throw errors.notFound();
    return handler(ctx);
  };
}

/** sObject Collections (API 42+, upsert 46+), composite (subrequests through the real routing) and sObject Tree. */
export const compositeRoutes: RouteModule = {
  api(router, emulator) {
    router.get('/composite', (ctx) => {
      const base = `/services/data/v${ctx.apiVersion}/composite`;
      // Only the composite resources the emulator serves (real orgs also list batch and graph).
      ctx.sendJson(200, { tree: `${base}/tree`, sobjects: `${base}/sobjects` });
    });
    router.post('/composite', (ctx) => runComposite(emulator, ctx));

    router.post('/composite/sobjects', since(42, createRecords));
    router.patch('/composite/sobjects', since(42, updateRecords));
    router.delete('/composite/sobjects', since(42, deleteRecords));
    router.get('/composite/sobjects/:type', since(42, retrieveRecordsGet));
    router.post('/composite/sobjects/:type', since(42, retrieveRecordsPost));
    router.patch('/composite/sobjects/:type/:field', since(46, upsertRecords));

    router.post('/composite/tree/:type', createTree);
  },
};
