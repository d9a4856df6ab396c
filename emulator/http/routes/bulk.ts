import type { ServerResponse } from 'node:http';
import { IngestJob } from '../../bulk/ingest.js';
import { bulkErrors } from '../../bulk/errors.js';
import { jobInfoJson, jobListJson } from '../../bulk/job-info.js';
import { QueryJob } from '../../bulk/query.js';
import { bulkService, type BulkService } from '../../bulk/service.js';
import type { RouteModule } from '../../emulator.js';
import { normalizeId } from '../../util/ids.js';
import type { RequestContext } from '../context.js';

const JSON_TYPE = 'application/json;charset=UTF-8';
const CSV_TYPE = 'text/csv';

function sendInfo(ctx: RequestContext, status: number, body: unknown): void {
  ctx.sendText(status, jobInfoJson(body), JSON_TYPE);
}

function ingestJob(service: BulkService, ctx: RequestContext): IngestJob {
  const id = normalizeId(ctx.params.id);
  const job = id ? service.jobsOf(ctx.requireOrg).ingest.get(id) : undefined;
  if (!job) throw bulkErrors.jobNotFound();
  return job;
}

function queryJob(service: BulkService, ctx: RequestContext): QueryJob {
  const id = normalizeId(ctx.params.id);
  const job = id ? service.jobsOf(ctx.requireOrg).query.get(id) : undefined;
  if (!job) throw bulkErrors.jobNotFound();
  return job;
}

/** Resolves when the response can take more, or the client has gone (then writing stops). */
function drained(res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/** Streams a CSV body piece by piece with backpressure, so large result files never become one string. */
async function streamCsv(
  ctx: RequestContext,
  parts: Iterable<Buffer | string> | AsyncIterable<Buffer | string>,
  headers: Record<string, string | number> = {},
): Promise<void> {
  const res = ctx.res;
  const org = ctx.requireOrg;
  res.writeHead(200, { 'Content-Type': CSV_TYPE, 'Sforce-Limit-Info': org.limits.limitInfoHeader(), ...headers });
  for await (const part of parts) {
    if (res.destroyed) return;
    if (!res.write(part) && !(await drained(res))) return;
  }
  res.end();
}

function byteLength(parts: Array<Buffer | string>): number {
  let n = 0;
  for (const p of parts) n += typeof p === 'string' ? Buffer.byteLength(p) : p.length;
  return n;
}

/**
 * Bulk API 2.0: ingest jobs (CSV upload, background processing in internal batches through the
 * org's validated write path, result files) and query jobs (CSV results paged by locator).
 */
export const bulkRoutes: RouteModule = {
  api(router, emulator) {
    const service = bulkService(emulator);

    router.post('/jobs/ingest', async (ctx) => {
      const org = ctx.requireOrg;
      const body = await ctx.readJson();
      const job = IngestJob.create(org, body, ctx.writeContext('bulkapi'), ctx.apiVersion);
      service.jobsOf(org).ingest.set(job.id, job);
      sendInfo(ctx, 200, job.info('brief'));
    });

    router.get('/jobs/ingest', (ctx) => {
      const jobs = [...service.jobsOf(ctx.requireOrg).ingest.values()];
      ctx.sendText(200, jobListJson(jobs.map((j) => j.info('list'))), JSON_TYPE);
    });

    router.get('/jobs/ingest/:id', (ctx) => sendInfo(ctx, 200, ingestJob(service, ctx).info('full')));

    router.patch('/jobs/ingest/:id', async (ctx) => {
      const job = ingestJob(service, ctx);
      const body = await ctx.readJson<{ state?: unknown }>();
      job.changeState(body?.state, service);
      sendInfo(ctx, 200, job.info('brief'));
    });

    router.delete('/jobs/ingest/:id', (ctx) => {
      const job = ingestJob(service, ctx);
      if (job.inProgress) throw bulkErrors.deleteInProgress(job.id, job.state);
      job.cancel();
      service.jobsOf(ctx.requireOrg).ingest.delete(job.id);
      ctx.sendEmpty(204);
    });

    router.put('/jobs/ingest/:id/batches', async (ctx) => {
      const job = ingestJob(service, ctx);
      const type = ctx.header('content-type');
      if (type && !/^text\/csv\b/i.test(type)) throw bulkErrors.unsupportedMediaType(type.split(';')[0]!.trim());
      await job.receive(ctx.req, service.settings.maxUploadBytes);
      ctx.sendEmpty(201);
    });

    router.get('/jobs/ingest/:id/successfulResults', async (ctx) => {
      const parts = await ingestJob(service, ctx).successfulResults();
      await streamCsv(ctx, parts, { 'Content-Length': byteLength(parts) });
    });

    router.get('/jobs/ingest/:id/failedResults', async (ctx) => {
      const parts = await ingestJob(service, ctx).failedResults();
      await streamCsv(ctx, parts, { 'Content-Length': byteLength(parts) });
    });

    router.get('/jobs/ingest/:id/unprocessedrecords', async (ctx) => {
      await streamCsv(ctx, ingestJob(service, ctx).unprocessedRecords());
    });

    router.post('/jobs/query', async (ctx) => {
      const org = ctx.requireOrg;
      const body = await ctx.readJson();
      const job = QueryJob.create(org, body, ctx.writeContext('bulkapi').userId, ctx.apiVersion);
      service.jobsOf(org).query.set(job.id, job);
      job.start(service);
      sendInfo(ctx, 200, job.info('brief'));
    });

    router.get('/jobs/query', (ctx) => {
      const jobs = [...service.jobsOf(ctx.requireOrg).query.values()];
      ctx.sendText(200, jobListJson(jobs.map((j) => j.info('list'))), JSON_TYPE);
    });

    router.get('/jobs/query/:id', (ctx) => sendInfo(ctx, 200, queryJob(service, ctx).info('full')));

    router.patch('/jobs/query/:id', async (ctx) => {
      const job = queryJob(service, ctx);
      const body = await ctx.readJson<{ state?: unknown }>();
      if (body?.state !== 'Aborted') throw bulkErrors.invalidState(`Invalid state: ${String(body?.state)}`);
      job.abort();
      sendInfo(ctx, 200, job.info('brief'));
    });

    router.delete('/jobs/query/:id', (ctx) => {
      const job = queryJob(service, ctx);
      if (job.inProgress) throw bulkErrors.deleteInProgress(job.id, job.state);
      job.discard();
      service.jobsOf(ctx.requireOrg).query.delete(job.id);
      ctx.sendEmpty(204);
    });

    router.get('/jobs/query/:id/results', async (ctx) => {
      const job = queryJob(service, ctx);
      const q = ctx.url.searchParams;
      const page = job.page(q.get('locator'), q.get('maxRecords'), ctx.apiVersion);
      // Sforce-Locator goes on every page: jsforce loops until it reads the literal `null`.
      await streamCsv(ctx, page.body, { 'Sforce-NumberOfRecords': String(page.count), 'Sforce-Locator': page.locator });
    });
  },
};
