import { errors } from '../../errors.js';
import type { RouteModule } from '../../emulator.js';
import { generateOrgData } from '../../data/generator.js';
import type { FaultSpec } from '../../faults.js';
import { parseSfDateTime } from '../../util/clock.js';
import { CONTROL_BASE as BASE, jsonBody, orgOf } from '../control-helpers.js';

const bad = errors.invalidControlRequest;

/**
 * The emulator's own API under `/__emulator__/`: reset, seed, snapshots, call counts, the clock,
 * faults, locks, limits, session expiry and org outages. No authentication: loopback only.
 */
export const controlRoutes: RouteModule = {
  root(router, emulator) {
    router.get(`${BASE}`, (ctx) => ctx.sendJson(200, emulator.describe()));

    router.post(`${BASE}/reset`, (ctx) => {
      for (const org of emulator.orgs.values()) org.reset();
      emulator.clock.reset();
      ctx.sendJson(200, { reset: [...emulator.orgs.keys()] });
    });

    router.post(`${BASE}/orgs/:org/reset`, (ctx) => {
      orgOf(emulator, ctx).reset();
      ctx.sendJson(200, { reset: [ctx.params.org] });
    });

    router.get(`${BASE}/clock`, (ctx) => ctx.sendJson(200, emulator.clock.state()));
    router.post(`${BASE}/clock`, async (ctx) => {
      const body = await jsonBody<{ now?: string; advanceMs?: number; freeze?: boolean }>(ctx);
      if (body.now !== undefined) {
        const ms = parseSfDateTime(body.now);
        if (ms === undefined) throw bad(`clock.now must be an ISO date-time, got ${JSON.stringify(body.now)}`);
        emulator.clock.set(ms, !!body.freeze);
      }
      if (body.advanceMs !== undefined) {
        if (typeof body.advanceMs !== 'number' || !Number.isFinite(body.advanceMs)) throw bad('advanceMs must be a number');
        emulator.clock.advance(body.advanceMs);
      }
      ctx.sendJson(200, emulator.clock.state());
    });
    router.delete(`${BASE}/clock`, (ctx) => {
      emulator.clock.reset();
      ctx.sendJson(200, emulator.clock.state());
    });

    router.post(`${BASE}/orgs/:org/seed`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<{ object?: string; records?: Array<Record<string, unknown>> }>(ctx);
      if (!body.object || !Array.isArray(body.records)) throw bad('seed needs {"object": "Account", "records": [...]}');
      const user = [...org.users.values()][0]!;
      // Seeded records go through full validation so a bad seed fails loudly, in one transaction.
      const ids = org.transaction({ userId: user.id, api: 'rest', apiVersion: '65.0', client: 'emulator-seed' }, (tx) =>
        body.records!.map((r) => tx.insert(body.object!, r)),
      );
      ctx.sendJson(201, { object: body.object, ids });
    });

    // A large, realistic data set (accounts in hierarchies, their contacts and opportunities) loaded
    // straight into the org's tables: what a demo of an initial load, or a trial at volume, starts from.
    router.post(`${BASE}/orgs/:org/generate`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<Record<string, unknown>>(ctx);
      const known = ['accounts', 'contactsPerAccount', 'opportunitiesPerAccount', 'hierarchyDepth', 'seed'];
      const unknown = Object.keys(body).filter((k) => !known.includes(k));
      if (unknown.length) throw bad(`generate takes ${known.join(', ')}; '${unknown[0]}' is none of them`);
      const whole = (name: string, min: number, max: number, fallback?: number) => {
        const v = body[name] ?? fallback;
        if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw bad(`generate: ${name} must be a whole number from ${min} to ${max.toLocaleString('en-US')}`);
        return v;
      };
      const per = (name: string, fallback: number) => {
        const v = body[name] ?? fallback;
        if (typeof v !== 'number' || !(v >= 0 && v <= 50)) throw bad(`generate: ${name} must be a number from 0 to 50`);
        return v;
      };
      const result = generateOrgData(org, {
        accounts: whole('accounts', 1, 2_000_000),
        contactsPerAccount: per('contactsPerAccount', 2),
        opportunitiesPerAccount: per('opportunitiesPerAccount', 1),
        hierarchyDepth: whole('hierarchyDepth', 1, 10, 4),
        // Each call its own records unless a seed makes it repeatable.
        seed: whole('seed', 0, 2 ** 31 - 1, Math.floor(Math.random() * 2 ** 31)),
      });
      ctx.sendJson(201, result);
    });

    router.get(`${BASE}/orgs/:org/snapshot/:object`, (ctx) => {
      const org = orgOf(emulator, ctx);
      const includeDeleted = ctx.url.searchParams.get('includeDeleted') === 'true';
      const rows = org.snapshot(ctx.params.object!, includeDeleted);
      // ?fields=Id,ParentId keeps the answer small enough for a million records.
      const fields = (ctx.url.searchParams.get('fields') ?? '').split(',').map((f) => f.trim()).filter(Boolean);
      ctx.sendJson(200, fields.length ? rows.map((r) => Object.fromEntries(fields.map((f) => [f, r[f] ?? null]))) : rows);
    });

    router.get(`${BASE}/orgs/:org/api-calls`, (ctx) => ctx.sendJson(200, orgOf(emulator, ctx).limits.counts()));
    router.delete(`${BASE}/orgs/:org/api-calls`, (ctx) => {
      orgOf(emulator, ctx).limits.resetCounts();
      ctx.sendJson(200, { reset: true });
    });

    router.post(`${BASE}/orgs/:org/limits`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<Record<string, { max?: number; used?: number } | undefined> & { exhaust?: string }>(ctx);
      for (const [name, v] of Object.entries(body)) {
        if (name === 'exhaust') continue;
        if (!v || typeof v !== 'object') throw bad(`limit ${name} needs {"max": n} and/or {"used": n}`);
        if (v.max !== undefined) org.limits.setMax(name, v.max);
        if (v.used !== undefined) org.limits.setUsed(name, v.used);
      }
      if (typeof body.exhaust === 'string') org.limits.setUsed(body.exhaust, org.limits.maxOf(body.exhaust));
      ctx.sendJson(200, org.limits.report());
    });

    router.get(`${BASE}/orgs/:org/faults`, (ctx) => ctx.sendJson(200, orgOf(emulator, ctx).faults.list()));
    router.post(`${BASE}/orgs/:org/faults`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const spec = await jsonBody<FaultSpec>(ctx);
      try {
        ctx.sendJson(201, org.faults.add(spec));
      } catch (err) {
        throw bad(`invalid fault: ${(err as Error).message}`);
      }
    });
    router.delete(`${BASE}/orgs/:org/faults`, (ctx) => {
      orgOf(emulator, ctx).faults.clear();
      ctx.sendJson(200, { cleared: true });
    });
    router.delete(`${BASE}/orgs/:org/faults/:id`, (ctx) => {
      const removed = orgOf(emulator, ctx).faults.remove(Number(ctx.params.id));
      ctx.sendJson(removed ? 200 : 404, { removed });
    });

    router.post(`${BASE}/orgs/:org/locks`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<{ ids?: string[]; times?: number }>(ctx);
      if (!Array.isArray(body.ids) || !body.ids.length) throw bad('locks need {"ids": ["001..."], "times": n}');
      org.faults.lockRecords(body.ids, body.times);
      ctx.sendJson(200, { locked: org.faults.lockedIds() });
    });
    router.delete(`${BASE}/orgs/:org/locks`, (ctx) => {
      orgOf(emulator, ctx).faults.unlockRecords();
      ctx.sendJson(200, { locked: [] });
    });

    router.post(`${BASE}/orgs/:org/sessions/expire`, (ctx) => {
      ctx.sendJson(200, { expired: orgOf(emulator, ctx).sessions.expireAll() });
    });
    router.post(`${BASE}/orgs/:org/sessions/ttl`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<{ seconds?: number }>(ctx);
      if (!(typeof body.seconds === 'number' && body.seconds > 0)) throw bad('ttl needs {"seconds": n} with n > 0');
      org.sessions.ttlMs = body.seconds * 1000;
      ctx.sendJson(200, { seconds: body.seconds });
    });

    // Changes as a person makes them in the org's UI (no API client in the change origin): what a
    // demo or a test needs to show a change that is not OrgBridge's own arriving elsewhere.
    router.post(`${BASE}/orgs/:org/edit`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<{ object?: string; records?: Array<Record<string, unknown>> }>(ctx);
      if (!body.object || !Array.isArray(body.records) || !body.records.every((r) => typeof r?.Id === 'string')) {
        throw bad('edit needs {"object": "Account", "records": [{"Id": "001...", "Phone": "..."}]}');
      }
      const user = [...org.users.values()][0]!;
      org.transaction({ userId: user.id, api: 'ui', apiVersion: '65.0' }, (tx) =>
        body.records!.forEach(({ Id, ...fields }) => tx.update(body.object!, Id as string, fields)),
      );
      ctx.sendJson(200, { object: body.object, updated: body.records.map((r) => r.Id) });
    });

    router.post(`${BASE}/orgs/:org/undelete`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<{ ids?: string[] }>(ctx);
      if (!Array.isArray(body.ids)) throw bad('undelete needs {"ids": [...]}');
      const user = [...org.users.values()][0]!;
      org.transaction({ userId: user.id, api: 'ui', apiVersion: '65.0' }, (tx) => body.ids!.forEach((id) => tx.undelete(id)));
      ctx.sendJson(200, { undeleted: body.ids });
    });

    router.post(`${BASE}/orgs/:org/down`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      const body = await jsonBody<{ ms?: number }>(ctx);
      if (body.ms !== undefined && !(typeof body.ms === 'number' && body.ms > 0)) throw bad('down takes {"ms": n} with n > 0, or no body');
      ctx.sendJson(200, { down: org.name, forMs: body.ms ?? null });
      // Answer first: the request may have come in on the very port that is about to close.
      setImmediate(() => void emulator.orgDown(org.name, body.ms));
    });
    router.post(`${BASE}/orgs/:org/up`, async (ctx) => {
      const org = orgOf(emulator, ctx);
      await emulator.orgUp(org.name);
      ctx.sendJson(200, { up: org.name });
    });
  },
};
