import { errors, SfError } from '../../errors.js';
import type { RouteModule } from '../../emulator.js';
import type { ObjectSchema } from '../../schema/org-schema.js';
import { describeGlobal } from '../../schema/describe.js';
import { MultipleMatchesError } from '../../store/dml.js';
import { parseSfDateTime, sfDateTime } from '../../util/clock.js';
import { normalizeId } from '../../util/ids.js';
import type { RequestContext } from '../context.js';
import { recordUrl, shapeRecord } from '../records.js';

const DAY = 24 * 60 * 60 * 1000;

function objectOf(ctx: RequestContext): ObjectSchema {
  const o = ctx.requireOrg.schema.object(ctx.params.type!);
  if (!o) throw errors.notFound();
  return o;
}

async function bodyObject(ctx: RequestContext): Promise<Record<string, unknown>> {
  const body = await ctx.readJson<unknown>();
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw errors.jsonParser('Cannot deserialize instance of sObject from START_ARRAY value or request may be missing a required field');
  }
  return body as Record<string, unknown>;
}

/** `?fields=A,B` checked against the object; every field when absent. */
function requestedFields(o: ObjectSchema, ctx: RequestContext) {
  const list = ctx.url.searchParams.get('fields');
  if (!list) return undefined;
  return list.split(',').map((name) => {
    const f = o.field(name.trim());
    if (!f) throw errors.invalidField(`No such column '${name.trim()}' on entity '${o.name}'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.`);
    return f;
  });
}

function retrieve(ctx: RequestContext, o: ObjectSchema, rawId: string): void {
  const id = normalizeId(rawId);
  if (!id || id.slice(0, 3) !== o.keyPrefix) throw errors.notFound();
  const r = ctx.requireOrg.data.table(o.name)!.get(id);
  if (!r) throw errors.notFound();
  if (r.IsDeleted) throw errors.entityIsDeleted();
  ctx.sendJson(200, shapeRecord(o, r, ctx.apiVersion, requestedFields(o, ctx)));
}

/** The record an external Id value points at, for GET and DELETE by external Id. */
function findByExternalId(ctx: RequestContext, o: ObjectSchema, fieldName: string, value: string) {
  const f = o.field(fieldName);
  if (!f || !(f.externalId || f.name === 'Id')) {
    throw new SfError('NOT_FOUND', `Provided external ID field does not exist or is not accessible: ${fieldName}`, 404);
  }
  const table = ctx.requireOrg.data.table(o.name)!;
  const matches = f.name === 'Id' ? [table.get(normalizeId(value) ?? '')].filter((r) => !!r) : table.lookup(f.name, value);
  const live = matches.filter((r) => r && !r.IsDeleted);
  if (live.length > 1) {
    ctx.sendJson(300, live.map((r) => recordUrl(ctx.apiVersion, o.name, r!.Id)));
    return undefined;
  }
  if (!live.length) throw errors.notFound();
  return live[0]!;
}

/** The replication window of getUpdated/getDeleted, with the real errors for bad ranges. */
function replicationWindow(ctx: RequestContext): { start: number; end: number } {
  const startText = ctx.url.searchParams.get('start');
  const endText = ctx.url.searchParams.get('end');
  if (!startText || !endText) throw new SfError('MISSING_ARGUMENT', 'Missing required parameter start or end', 400);
  const start = parseSfDateTime(startText);
  const end = parseSfDateTime(endText);
  if (start === undefined || end === undefined) {
    throw new SfError('INVALID_REPLICATION_DATE', `Unable to parse date: ${start === undefined ? startText : endText}`, 400);
  }
  if (end < start) throw new SfError('INVALID_REPLICATION_DATE', 'EndDate before StartDate', 400);
  const now = ctx.requireOrg.clock.now();
  if (start < now - 30 * DAY) {
    throw new SfError('INVALID_REPLICATION_DATE', 'startDate cannot be more than 30 days ago', 400);
  }
  return { start, end: Math.min(end, now) };
}

function floorToMinute(ms: number): string {
  return sfDateTime(Math.floor(ms / 60000) * 60000);
}

/** Single-record CRUD, upsert by external Id, getUpdated and getDeleted. */
export const sobjectRoutes: RouteModule = {
  api(router) {
    router.get('/sobjects/:type', (ctx) => {
      const o = objectOf(ctx);
      const entry = describeGlobal(ctx.requireOrg.schema, ctx.apiVersion).sobjects.find((s) => s.name === o.name);
      ctx.sendJson(200, { objectDescribe: entry, recentItems: [] });
    });

    router.post('/sobjects/:type', async (ctx) => {
      const o = objectOf(ctx);
      const body = await bodyObject(ctx);
      const org = ctx.requireOrg;
      if (o.def.isPlatformEvent) {
        // Platform events are published, not stored: a REST create on X__e delivers the event.
        if (!org.platformEventPublisher) throw new SfError('INVALID_TYPE_FOR_OPERATION', `entity type cannot be inserted: ${o.name}`, 400);
        const id = org.platformEventPublisher(o.name, body, ctx.session!.userId);
        ctx.sendJson(201, { id, success: true, errors: [] });
        return;
      }
      const id = org.transaction(ctx.writeContext(), (tx) => tx.insert(o.name, body));
      ctx.sendJson(201, { id, success: true, errors: [] }, { Location: recordUrl(ctx.apiVersion, o.name, id) });
    });

    router.get('/sobjects/:type/updated', (ctx) => {
      const o = objectOf(ctx);
      const { start, end } = replicationWindow(ctx);
      const ids: string[] = [];
      for (const r of ctx.requireOrg.data.table(o.name)!.scan()) {
        if (r.IsDeleted) continue;
        const t = parseSfDateTime(String(r.SystemModstamp ?? r.LastModifiedDate ?? ''));
        if (t !== undefined && t >= start && t <= end) ids.push(r.Id);
      }
      ctx.sendJson(200, { ids, latestDateCovered: floorToMinute(end) });
    });

    router.get('/sobjects/:type/deleted', (ctx) => {
      const o = objectOf(ctx);
      const { start, end } = replicationWindow(ctx);
      const deletedRecords: Array<{ id: string; deletedDate: string }> = [];
      for (const r of ctx.requireOrg.data.table(o.name)!.scan()) {
        if (!r.IsDeleted) continue;
        const t = parseSfDateTime(String(r.SystemModstamp ?? ''));
        if (t !== undefined && t >= start && t <= end) deletedRecords.push({ id: r.Id, deletedDate: String(r.SystemModstamp) });
      }
      const now = ctx.requireOrg.clock.now();
      ctx.sendJson(200, { deletedRecords, earliestDateAvailable: floorToMinute(now - 15 * DAY), latestDateCovered: floorToMinute(end) });
    });

    router.get('/sobjects/:type/:id', (ctx) => retrieve(ctx, objectOf(ctx), ctx.params.id!));

    router.patch('/sobjects/:type/:id', async (ctx) => {
      const o = objectOf(ctx);
      const body = await bodyObject(ctx);
      ctx.requireOrg.transaction(ctx.writeContext(), (tx) => tx.update(o.name, ctx.params.id!, body));
      ctx.sendEmpty(204);
    });

    router.delete('/sobjects/:type/:id', (ctx) => {
      const o = objectOf(ctx);
      ctx.requireOrg.transaction(ctx.writeContext(), (tx) => tx.delete(ctx.params.id!, o.name));
      ctx.sendEmpty(204);
    });

    // POST /sobjects/{X}/Id (API 37+) creates a record, like an upsert on Id with no value.
    router.post('/sobjects/:type/:field', async (ctx) => {
      const o = objectOf(ctx);
      if (ctx.params.field!.toLowerCase() !== 'id') throw errors.methodNotAllowed('POST', ['GET', 'PATCH', 'DELETE']);
      const body = await bodyObject(ctx);
      const id = ctx.requireOrg.transaction(ctx.writeContext(), (tx) => tx.insert(o.name, body));
      ctx.sendJson(201, { id, success: true, errors: [], created: true });
    });

    router.get('/sobjects/:type/:field/:value', (ctx) => {
      const o = objectOf(ctx);
      const r = findByExternalId(ctx, o, ctx.params.field!, ctx.params.value!);
      if (r) ctx.sendJson(200, shapeRecord(o, r, ctx.apiVersion, requestedFields(o, ctx)));
    });

    router.patch('/sobjects/:type/:field/:value', async (ctx) => {
      const o = objectOf(ctx);
      const body = await bodyObject(ctx);
      try {
        const result = ctx.requireOrg.transaction(ctx.writeContext(), (tx) =>
          tx.upsert(o.name, ctx.params.field!, ctx.params.value!, body),
        );
        const modern = Number(ctx.apiVersion) >= 46;
        if (result.created) ctx.sendJson(201, modern ? { id: result.id, success: true, errors: [], created: true } : { id: result.id, success: true, errors: [] });
        else if (modern) ctx.sendJson(200, { id: result.id, success: true, errors: [], created: false });
        else ctx.sendEmpty(204);
      } catch (err) {
        if (err instanceof MultipleMatchesError) {
          ctx.sendJson(300, err.ids.map((id) => recordUrl(ctx.apiVersion, o.name, id)));
          return;
        }
        throw err;
      }
    });

    router.delete('/sobjects/:type/:field/:value', (ctx) => {
      const o = objectOf(ctx);
      const r = findByExternalId(ctx, o, ctx.params.field!, ctx.params.value!);
      if (!r) return;
      ctx.requireOrg.transaction(ctx.writeContext(), (tx) => tx.delete(r.Id, o.name));
      ctx.sendEmpty(204);
    });
  },
};
