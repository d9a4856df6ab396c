import { errors } from '../../errors.js';
import { LATEST_API_VERSION, MIN_API_VERSION, type RouteModule } from '../../emulator.js';
import { describeGlobal, describeSObject } from '../../schema/describe.js';

const RELEASES: Record<string, string> = {
  '66.0': "Spring '26",
  '65.0': "Winter '26",
  '64.0': "Summer '25",
  '63.0': "Spring '25",
  '62.0': "Winter '25",
  '61.0': "Summer '24",
  '60.0': "Spring '24",
  '59.0': "Winter '24",
};

function releaseLabel(v: number): string {
  if (RELEASES[v.toFixed(1)]) return RELEASES[v.toFixed(1)]!;
  // Three releases a year; API 20.0 was Summer '10.
  const n = v - 20;
  const season = ['Summer', 'Winter', 'Spring'][n % 3]!;
  const year = 10 + Math.floor((n + 1) / 3);
  return `${season} '${String(year).padStart(2, '0')}`;
}

/** Versions, resources, describeGlobal, describe and limits. */
export const discoveryRoutes: RouteModule = {
  root(router) {
    router.get('/services/data', (ctx) => {
      const out = [];
      for (let v = MIN_API_VERSION; v <= Number(LATEST_API_VERSION); v++) {
        out.push({ label: releaseLabel(v), url: `/services/data/v${v.toFixed(1)}`, version: v.toFixed(1) });
      }
      ctx.sendJson(200, out);
    });
  },
  api(router) {
    router.get('/', (ctx) => {
      const base = `/services/data/v${ctx.apiVersion}`;
      const org = ctx.requireOrg;
      const names = [
        'tooling', 'metadata', 'eclair', 'folders', 'prechatForms', 'contact-tracing', 'jsonxform', 'chatter', 'payments',
        'tabs', 'appMenu', 'quickActions', 'queryAll', 'commerce', 'wave', 'iot', 'analytics', 'search', 'smartdatadiscovery',
        'identity', 'composite', 'parameterizedSearch', 'fingerprint', 'theme', 'nouns', 'event', 'serviceTemplates',
        'recent', 'connect', 'licensing', 'limits', 'process', 'dedupe', 'async-queries', 'query', 'jobs', 'match',
        'localizedvalue', 'mobile', 'emailConnect', 'consent', 'tokenizer', 'compactLayouts', 'knowledgeManagement',
        'sobjects', 'actions', 'support',
      ];
      const out: Record<string, string> = {};
      for (const n of names) out[n] = `${base}/${n}`;
      out.identity = `${org.instanceUrl}/id/${org.orgId}/${ctx.session!.userId}`;
      ctx.sendJson(200, out);
    });
    router.get('/sobjects', (ctx) => ctx.sendJson(200, describeGlobal(ctx.requireOrg.schema, ctx.apiVersion)));
    router.get('/sobjects/:type/describe', (ctx) => {
      const org = ctx.requireOrg;
      if (!org.schema.object(ctx.params.type!)) throw errors.notFound();
      ctx.sendJson(200, describeSObject(org.schema, ctx.params.type!, ctx.apiVersion));
    });
    router.get('/limits', (ctx) => ctx.sendJson(200, ctx.requireOrg.limits.report()));
  },
};
