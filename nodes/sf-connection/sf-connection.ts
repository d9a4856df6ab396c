import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { settingsFromConfig } from '../../lib/connection/from-config.js';
import { OrgConnection, type StateChange } from '../../lib/connection/org-connection.js';
import type { ConnectionSecrets } from '../../lib/connection/settings.js';
import { testConnection } from '../../lib/connection/test-connection.js';
import { WebServerFlow } from '../../lib/connection/web-server-flow.js';
import { loginUrlOf } from '../../lib/connection/settings.js';
import type { SfConnectionConfig, SfConnectionNode } from '../shared/types.js';

const SECRET_KEYS = ['clientSecret', 'password', 'privateKey', 'refreshToken', 'accessToken'] as const;

/** Unchanged password fields come back from the editor as this placeholder. */
const UNCHANGED = '__PWRD__';

export default function register(RED: NodeAPI): void {
  function SfConnection(this: SfConnectionNode, config: SfConnectionConfig) {
    RED.nodes.createNode(this, config);
    const settings = settingsFromConfig({ ...config });
    this.org = new OrgConnection(settings, { ...(this.credentials ?? {}) });
    const problems = this.org.problems();
    if (problems.length) this.warn(RED._('sf-connection.errors.incomplete', { problems: problems.join('; ') }));
    const onState = (change: StateChange) => {
      if (change.state === 'failed' || change.state === 'unavailable' || change.state === 'expired') {
        this.warn(RED._('sf-connection.errors.state', { name: settings.name, state: change.state, reason: change.failure?.message ?? '' }));
      }
    };
    this.org.on('state', onState);
    this.on('close', (_removed: boolean, done: () => void) => {
      this.org.close();
      done();
    });
  }

  RED.nodes.registerType('sf-connection', SfConnection as never, {
    credentials: {
      clientSecret: { type: 'password' },
      password: { type: 'password' },
      privateKey: { type: 'password' },
      refreshToken: { type: 'password' },
      accessToken: { type: 'password' },
    },
  });

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
  const write = RED.auth.needsPermission('sf-connection.write');

  RED.httpAdmin.post('/sf-connection/test', write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { id?: string; config?: Record<string, unknown>; credentials?: Record<string, unknown> };
    const settings = settingsFromConfig(body.config ?? {});
    testConnection(settings, mergedSecrets(body.id, body.credentials)).then(
      (result) => res.json(result),
      (err: Error) => res.json({ ok: false, code: 'UNKNOWN', reason: err.message }),
    );
  });

  RED.httpAdmin.post('/sf-connection/oauth/start', write, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { id?: string; config?: Record<string, unknown>; credentials?: Record<string, unknown>; redirectUri?: string };
    const settings = settingsFromConfig(body.config ?? {});
    const secrets = mergedSecrets(body.id, body.credentials);
    if (!body.id || !settings.clientId || !body.redirectUri) {
      res.status(400).json({ error: RED._('sf-connection.errors.authorize-needs') });
      return;
    }
    try {
      const { authorizeUrl } = flow.start({
        nodeId: body.id,
        loginUrl: loginUrlOf(settings),
        clientId: settings.clientId,
        clientSecret: secrets.clientSecret,
        redirectUri: body.redirectUri,
      });
      res.json({ authorizeUrl });
    } catch (err) {
      res.status(400).json({ error: (err as Error).message });
    }
  });

  // The browser arrives here from Salesforce's redirect, without the admin token: `state` is the guard.
  RED.httpAdmin.get('/sf-connection/oauth/callback', (req: Request, res: Response) => {
    const q = req.query as Record<string, string | undefined>;
    flow.complete(q.state, q.code, q.error, q.error_description).then(
      (result) => {
        const stored = (RED.nodes.getCredentials(result.nodeId) ?? {}) as Record<string, unknown>;
        RED.nodes.addCredentials(result.nodeId, { ...stored, refreshToken: result.refreshToken });
        res.send(callbackPage(true, RED._('sf-connection.oauth.done', { orgId: result.orgId }), result.nodeId));
      },
      (err: Error) => res.status(400).send(callbackPage(false, err.message, '')),
    );
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
