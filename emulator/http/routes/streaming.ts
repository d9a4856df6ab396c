import { errors } from '../../errors.js';
import { LATEST_API_VERSION, MIN_API_VERSION, type Emulator, type RouteModule } from '../../emulator.js';
import type { BayeuxExchange } from '../../streaming/bayeux.js';
import { streamingService, type OrgStreaming } from '../../streaming/service.js';
import type { RequestContext } from '../context.js';
import { CONTROL_BASE as BASE, jsonBody } from '../control-helpers.js';

const JSON_TYPE = 'application/json;charset=UTF-8';
const bad = errors.invalidControlRequest;

function bayeuxError(ctx: RequestContext, status: number, error: string): void {
  ctx.sendText(status, JSON.stringify([{ error, successful: false }]), JSON_TYPE);
}

function cometdToken(ctx: RequestContext): string | undefined {
  return /^(?:Bearer|OAuth)\s+(.+)$/i.exec(ctx.header('authorization') ?? '')?.[1]?.trim() || undefined;
}

/** `POST /cometd/62.0`: a JSON array of Bayeux messages in, a JSON array out, possibly after a long poll. */
async function cometd(ctx: RequestContext, emulator: Emulator): Promise<void> {
  const org = ctx.requireOrg;
  const version = ctx.params.version ?? '';
  const v = Number(version);
  if (!/^\d+\.\d$/.test(version) || v < MIN_API_VERSION || v > Number(LATEST_API_VERSION)) {
    bayeuxError(ctx, 400, `400::Unsupported API version. Only API versions '${MIN_API_VERSION}.0' and above are supported. URI format: '/cometd/${LATEST_API_VERSION}'`);
    return;
  }
  let messages: unknown;
  try {
    messages = JSON.parse((await ctx.readBody()).toString('utf8'));
  } catch {
    bayeuxError(ctx, 400, '400::Bad request: the body must be a JSON array of Bayeux messages');
    return;
  }
  const list = (Array.isArray(messages) ? messages : [messages]).filter((m): m is Record<string, unknown> => !!m && typeof m === 'object' && !Array.isArray(m));
  // The handler's promise settles when the answer is written or the client goes away, whichever first.
  await new Promise<void>((resolve) => {
    const res = ctx.res;
    res.once('close', () => resolve());
    if (ctx.req.socket.destroyed) resolve();
    const exchange: BayeuxExchange = {
      token: cometdToken(ctx),
      respond: (status, body) => {
        if (!res.writableEnded && !res.destroyed) ctx.sendText(status, body, JSON_TYPE);
        resolve();
      },
      isOpen: () => !res.writableEnded && !res.destroyed && !ctx.req.socket.destroyed,
      onAbort: (listener) => {
        res.once('close', () => {
          if (!res.writableEnded) listener();
        });
      },
    };
    streamingService(emulator).org(org.name).engine.handle(list, exchange);
  });
}

function orgStreaming(emulator: Emulator, ctx: RequestContext): OrgStreaming {
  return streamingService(emulator).org(ctx.params.org ?? '');
}

interface SettingsBody {
  connectTimeoutMs?: number;
  clientIdleTimeoutMs?: number;
  maxEventsPerResponse?: number;
  overflowThreshold?: number;
  retentionHours?: number;
}

function settingsPatch(body: SettingsBody) {
  const { retentionHours, ...rest } = body;
  if (retentionHours !== undefined && !(typeof retentionHours === 'number' && retentionHours > 0)) throw bad('retentionHours must be a number > 0');
  if (rest.maxEventsPerResponse !== undefined && !(rest.maxEventsPerResponse >= 1)) throw bad('maxEventsPerResponse must be at least 1');
  return { ...rest, ...(retentionHours !== undefined ? { retentionMs: retentionHours * 60 * 60 * 1000 } : {}) };
}

/**
 * CometD (Streaming API, CDC, platform events) on each org's instance URL, and the streaming part
 * of the control API. Platform events are published through `POST /sobjects/X__e` (sobjects.ts),
 * which hands them to the publisher this service sets on each org.
 */
export const streamingRoutes: RouteModule = {
  root(router, emulator) {
    const service = streamingService(emulator);

    // faye probes WebSocket first (GET with Upgrade); Salesforce serves long polling only.
    router.get('/cometd/:version', (ctx) => {
      const upgrade = ctx.header('upgrade');
      bayeuxError(ctx, 400, `400::Invalid connection type ${upgrade ? upgrade.toLowerCase() : 'GET'}`);
    });
    router.post('/cometd/:version', (ctx) => cometd(ctx, emulator));

    router.get(`${BASE}/orgs/:org/streaming`, (ctx) => ctx.sendJson(200, orgStreaming(emulator, ctx).stats()));

    router.post(`${BASE}/orgs/:org/streaming/drop-clients`, (ctx) => {
      ctx.sendJson(200, { dropped: orgStreaming(emulator, ctx).engine.dropAll() });
    });

    router.post(`${BASE}/orgs/:org/streaming/gap`, async (ctx) => {
      const s = orgStreaming(emulator, ctx);
      const body = await jsonBody<{ object?: unknown; ids?: unknown; changeType?: unknown }>(ctx);
      ctx.sendJson(201, { replayId: s.triggerGap(body.object, body.ids, body.changeType) });
    });

    router.post(`${BASE}/orgs/:org/streaming/overflow`, async (ctx) => {
      const s = orgStreaming(emulator, ctx);
      const body = await jsonBody<{ objects?: unknown }>(ctx);
      ctx.sendJson(201, { replayIds: s.triggerOverflow(body.objects) });
    });

    router.post(`${BASE}/orgs/:org/streaming/retention`, async (ctx) => {
      const s = orgStreaming(emulator, ctx);
      const body = await jsonBody<{ hours?: number }>(ctx);
      if (body.hours === undefined) throw bad('retention needs {"hours": n}');
      s.configure(settingsPatch({ retentionHours: body.hours }));
      ctx.sendJson(200, { hours: body.hours, retainedEvents: s.log.size });
    });

    router.post(`${BASE}/orgs/:org/streaming/settings`, async (ctx) => {
      const s = orgStreaming(emulator, ctx);
      s.configure(settingsPatch(await jsonBody<SettingsBody>(ctx)));
      ctx.sendJson(200, s.stats().settings);
    });

    router.post(`${BASE}/streaming/settings`, async (ctx) => {
      service.configure(settingsPatch(await jsonBody<SettingsBody>(ctx)));
      ctx.sendJson(200, Object.fromEntries([...service.orgs].map(([name, s]) => [name, s.stats().settings])));
    });

    router.post(`${BASE}/orgs/:org/streaming/cdc`, async (ctx) => {
      const s = orgStreaming(emulator, ctx);
      const body = await jsonBody<{ objects?: unknown; enabled?: unknown }>(ctx);
      if (!Array.isArray(body.objects) || !body.objects.every((o) => typeof o === 'string')) throw bad('cdc needs {"objects": ["Account"], "enabled": true}');
      s.setCdcEnabled(body.objects as string[], body.enabled !== false);
      ctx.sendJson(200, { cdcObjects: s.cdcEnabledObjects() });
    });
  },
};
