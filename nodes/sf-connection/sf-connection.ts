import type { Request, Response } from 'express';
import type { NodeAPI } from 'node-red';
import { settingsFromConfig } from '../../lib/connection/from-config.js';
import { OrgConnection, type StateChange } from '../../lib/connection/org-connection.js';
import { loginUrlOf, type ConnectionSecrets } from '../../lib/connection/settings.js';
import { WebServerFlow } from '../../lib/connection/web-server-flow.js';
import { testConnection } from '../../lib/salesforce/test-connection.js';
import { adminRoute, HttpError } from '../shared/admin.js';
import type { SfConnectionConfig, SfConnectionNode } from '../shared/connection.js';
import { NodeKit } from '../shared/kit.js';
import { runtimeContext } from '../../lib/runtime/context.js';
import { registerOrgRoutes } from '../shared/org-routes.js';
import { CREDENTIALS, SECRET_KEYS } from './fields.js';

/** Unchanged password fields come back from the editor as this placeholder. */
const UNCHANGED = '__PWRD__';

export default function register(RED: NodeAPI): void {
  function SfConnection(this: SfConnectionNode, config: SfConnectionConfig) {
    RED.nodes.createNode(this, config);
    const kit = new NodeKit(RED, this);
    const settings = settingsFromConfig({ ...config });
    const org = (this.org = new OrgConnection(settings, { ...(this.credentials ?? {}) }));
    const problems = org.problems();
    if (problems.length) this.warn(kit.t('sf-connection.errors.incomplete', { problems: problems.join('; ') }));
    kit.listen(org, 'state', (change: StateChange) => {
      if (change.state === 'failed' || change.state === 'unavailable' || change.state === 'expired') {
        this.warn(kit.t('sf-connection.errors.state', { name: settings.name, state: change.state, reason: change.failure?.message ?? '' }));
      }
    });
    runtimeContext().addConnection(this.id, org);
    kit.onClose(() => {
      runtimeContext().forgetConnection(this.id, org);
      return org.close();
    });
  }

  RED.nodes.registerType('sf-connection', SfConnection as never, { credentials: CREDENTIALS });

  /** Secrets from the editor, with unchanged fields taken from what the runtime has stored. */
  function mergedSecrets(id: unknown, posted: Record<string, unknown> | undefined): ConnectionSecrets {
    const stored = (typeof id === 'string' ? RED.nodes.getCredentials(id) : undefined) as ConnectionSecrets | undefined;
    const out: ConnectionSecrets = {};
    for (const k of SECRET_KEYS) {
      const v = posted?.[k];
      out[k] = typeof v === 'string' && v !== UNCHANGED && v !== '' ? v : stored?.[k];
    }
    return out;
  }

  const flow = new WebServerFlow();
  const write = 'sf-connection.write';

  adminRoute(RED, 'post', '/sf-connection/test', write, async (req) => {
    const body = (req.body ?? {}) as { id?: string; config?: Record<string, unknown>; credentials?: Record<string, unknown> };
    return testConnection(settingsFromConfig(body.config ?? {}), mergedSecrets(body.id, body.credentials));
  });

  adminRoute(RED, 'post', '/sf-connection/oauth/start', write, (req) => {
    const body = (req.body ?? {}) as { id?: string; config?: Record<string, unknown>; credentials?: Record<string, unknown>; redirectUri?: string };
    const settings = settingsFromConfig(body.config ?? {});
    const secrets = mergedSecrets(body.id, body.credentials);
    if (!body.id || !settings.clientId || !body.redirectUri) throw new HttpError(400, RED._('sf-connection.errors.authorize-needs'));
    try {
      const { authorizeUrl } = flow.start({ nodeId: body.id, loginUrl: loginUrlOf(settings), clientId: settings.clientId, clientSecret: secrets.clientSecret, redirectUri: body.redirectUri });
      return { authorizeUrl };
    } catch (err) {
      throw new HttpError(400, (err as Error).message);
    }
  });

  registerOrgRoutes(RED);

  // The browser arrives here from Salesforce's redirect, without the admin token: `state` is the
  // guard. It answers a page (for the window the editor opened), not JSON.
  adminRoute(RED, 'get', '/sf-connection/oauth/callback', null, async (req: Request, res: Response) => {
    const q = req.query as Record<string, string | undefined>;
    try {
      const result = await flow.complete(q.state, q.code, q.error, q.error_description);
      const stored = (RED.nodes.getCredentials(result.nodeId) ?? {}) as Record<string, unknown>;
      RED.nodes.addCredentials(result.nodeId, { ...stored, refreshToken: result.refreshToken });
      res.send(callbackPage(true, RED._('sf-connection.oauth.done', { orgId: result.orgId }), result.nodeId));
    } catch (err) {
      res.status(400).send(callbackPage(false, (err as Error).message, ''));
    }
    return undefined;
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function callbackPage(ok: boolean, message: string, nodeId: string): string {
  const payload = JSON.stringify({ type: 'sf-connection-oauth', ok, nodeId, message });
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>OrgBridge authorization</title></head>
<body style="font-family:sans-serif;margin:2em"><p id="result">${escapeHtml(message)}</p>
<script>try{if(window.opener){window.opener.postMessage(${payload.replace(/</g, '\\u003c')}, window.location.origin);setTimeout(function(){window.close()},1500);}}catch(e){}</script>
</body></html>`;
}
