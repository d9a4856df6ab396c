/**
 * The SOAP partner API (`POST /services/Soap/u/{version}`), only for the calls the REST API lacks
 * and OrgBridge needs: `undelete` (restore records from the recycle bin, with their cascade-deleted
 * children) and `emptyRecycleBin` (purge them, so a restore fails as it does on a real org once the
 * bin no longer holds a record). The session comes in the envelope's SessionHeader, the client in
 * CallOptions; each Id succeeds or fails on its own (allOrNone off), with the real status codes.
 */
import { SfError } from '../../errors.js';
import type { RouteModule } from '../../emulator.js';
import type { RequestContext } from '../context.js';

const SOAP_ENV = 'http://schemas.xmlsoap.org/soap/envelope/';
const PARTNER = 'urn:partner.soap.sforce.com';
const XML_TYPE = 'text/xml; charset=utf-8';

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The text of every element named `name` (any namespace prefix), in order. */
function elements(xml: string, name: string): string[] {
  const re = new RegExp(`<(?:[\\w-]+:)?${name}(?:\\s[^>]*)?>([^<]*)</(?:[\\w-]+:)?${name}>`, 'g');
  return [...xml.matchAll(re)].map((m) => m[1]!.trim());
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP_ENV}" xmlns="${PARTNER}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body>${body}</soapenv:Body></soapenv:Envelope>`;
}

function fault(ctx: RequestContext, code: string, message: string): void {
  ctx.sendText(500, envelope(`<soapenv:Fault><faultcode>sf:${code}</faultcode><faultstring>${escape(`${code}: ${message}`)}</faultstring></soapenv:Fault>`), XML_TYPE);
}

function result(id: string, err?: SfError): string {
  if (!err) return `<result><id>${escape(id)}</id><success>true</success></result>`;
  return `<result><errors><message>${escape(err.message)}</message><statusCode>${escape(err.errorCode)}</statusCode></errors><id xsi:nil="true"/><success>false</success></result>`;
}

async function soap(ctx: RequestContext): Promise<void> {
  const org = ctx.org;
  const version = ctx.params.version ?? '';
  if (!org || !/^\d+\.\d$/.test(version)) {
    fault(ctx, 'UNKNOWN_EXCEPTION', `no SOAP endpoint here (use /services/Soap/u/{version} on an org's instance URL)`);
    return;
  }
  const xml = (await ctx.readBody(4 * 1024 * 1024)).toString('utf8');
  const session = org.sessions.validate(elements(xml, 'sessionId')[0]);
  if (!session) {
    fault(ctx, 'INVALID_SESSION_ID', 'Invalid Session ID found in SessionHeader: Illegal Session');
    return;
  }
  const client = elements(xml, 'client')[0];
  const context = { userId: session.userId, api: 'soap', apiVersion: version, ...(client ? { client } : {}) };
  const call = /<soapenv:Body[^>]*>\s*<(?:[\w-]+:)?(\w+)[\s>]/.exec(xml)?.[1];
  const ids = elements(xml, 'ids');
  org.checkApiLimit();
  org.limits.countCall(`soap/${call ?? 'unknown'}`);
  if (call !== 'undelete' && call !== 'emptyRecycleBin') {
    fault(ctx, 'INVALID_OPERATION', `the emulator's SOAP API offers undelete and emptyRecycleBin, not ${call ?? 'this call'}`);
    return;
  }
  if (ids.length > 200) {
    fault(ctx, 'EXCEEDED_ID_LIMIT', `${call}: too many ids (${ids.length}); at most 200 a call`);
    return;
  }
  const results = ids.map((id) => {
    try {
      org.transaction(context, (tx) => (call === 'undelete' ? tx.undelete(id) : tx.purge(id)));
      return result(id);
    } catch (err) {
      if (err instanceof SfError) return result(id, err);
      throw err;
    }
  });
  ctx.sendText(200, envelope(`<${call}Response>${results.join('')}</${call}Response>`), XML_TYPE);
}

export const soapRoutes: RouteModule = {
  root: (router) => {
    router.post('/services/Soap/u/:version', (ctx) => soap(ctx));
  },
};
