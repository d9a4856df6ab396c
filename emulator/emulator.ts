import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { randomUUID } from 'node:crypto';
import { errors, SfError } from './errors.js';
import { RequestContext } from './http/context.js';
import { Router } from './http/router.js';
import { Org, type OrgSpec } from './org.js';
import { Clock } from './util/clock.js';

/** Newest API version the emulator answers; versions from 20.0 up to it are served. */
export const LATEST_API_VERSION = '66.0';
export const MIN_API_VERSION = 20;

export interface EmulatorOptions {
  orgs: OrgSpec[];
  /** Port of the shared login host (like login.salesforce.com); 0 picks a free one. */
  loginPort?: number;
  /** Logs one line per request when set. */
  log?: (line: string) => void;
}

/** A module of routes: data API routes live below `/services/data/vXX.X`, root routes anywhere else. */
export interface RouteModule {
  api?: (router: Router, emulator: Emulator) => void;
  root?: (router: Router, emulator: Emulator) => void;
}

const HOST = '127.0.0.1';

/** Listens on one port, tracks sockets so the server can be stopped hard (org down, shutdown). */
class Listener {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(private readonly handler: (req: IncomingMessage, res: ServerResponse) => void) {}

  async listen(port: number): Promise<number> {
    const server = createServer(this.handler);
    server.keepAliveTimeout = 5000;
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
    return this.port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get listening(): boolean {
    return !!this.server;
  }
}

export class Emulator {
  readonly clock = new Clock();
  readonly orgs = new Map<string, Org>();
  readonly apiRouter = new Router();
  readonly rootRouter = new Router();
  loginUrl = '';
  private readonly loginListener: Listener;
  private readonly orgListeners = new Map<string, Listener>();
  private readonly downTimers = new Map<string, NodeJS.Timeout>();
  private readonly stopHooks: Array<() => Promise<void> | void> = [];

  constructor(
    private readonly options: EmulatorOptions,
    modules: RouteModule[],
  ) {
    for (const spec of options.orgs) {
      if (this.orgs.has(spec.name)) throw new Error(`two orgs are named ${spec.name}`);
      this.orgs.set(spec.name, new Org(spec, this.clock));
    }
    for (const m of modules) {
      m.api?.(this.apiRouter, this);
      m.root?.(this.rootRouter, this);
    }
    this.loginListener = new Listener((req, res) => void this.handle(req, res, undefined));
  }

  async start(): Promise<this> {
    const loginPort = await this.loginListener.listen(this.options.loginPort ?? 0);
    this.loginUrl = `http://${HOST}:${loginPort}`;
    for (const org of this.orgs.values()) {
      const l = new Listener((req, res) => void this.handle(req, res, org));
      const port = await l.listen(org.spec.port ?? 0);
      org.instanceUrl = `http://${HOST}:${port}`;
      this.orgListeners.set(org.name, l);
    }
    return this;
  }

  async stop(): Promise<void> {
    for (const t of this.downTimers.values()) clearTimeout(t);
    this.downTimers.clear();
    for (const hook of this.stopHooks) await hook();
    await this.loginListener.close();
    for (const l of this.orgListeners.values()) await l.close();
  }

  onStop(hook: () => Promise<void> | void): void {
    this.stopHooks.push(hook);
  }

  org(name: string): Org {
    const org = this.orgs.get(name);
    if (!org) throw new Error(`no org named ${name}; orgs: ${[...this.orgs.keys()].join(', ')}`);
    return org;
  }

  /** Finds the org a token, username or client id belongs to (the login host serves every org). */
  findOrg(pred: (org: Org) => boolean): Org | undefined {
    for (const org of this.orgs.values()) if (pred(org)) return org;
    return undefined;
  }

  /** Takes the org's instance off the network (connections refused) for `ms`, or until `orgUp`. */
  async orgDown(name: string, ms?: number): Promise<void> {
    const org = this.org(name);
    const l = this.orgListeners.get(name)!;
    await l.close();
    clearTimeout(this.downTimers.get(name));
    if (ms !== undefined) {
      this.downTimers.set(
        name,
        setTimeout(() => void this.orgUp(name).catch(() => undefined), ms),
      );
    }
    void org;
  }

  async orgUp(name: string): Promise<void> {
    const org = this.org(name);
    clearTimeout(this.downTimers.get(name));
    this.downTimers.delete(name);
    const l = this.orgListeners.get(name)!;
    if (l.listening) return;
    await l.listen(Number(new URL(org.instanceUrl).port));
  }

  isOrgUp(name: string): boolean {
    return this.orgListeners.get(name)?.listening ?? false;
  }

  /** A JSON description of every org, as `s2s-emulator --json` prints it. */
  describe(): Record<string, unknown> {
    return {
      loginUrl: this.loginUrl,
      orgs: [...this.orgs.values()].map((o) => {
        const user = [...o.users.values()].find((u) => u.integration) ?? [...o.users.values()][0];
        const app = [...o.apps.values()][0];
        return {
          name: o.name,
          displayName: o.displayName,
          orgId: o.orgId,
          instanceUrl: o.instanceUrl,
          loginUrl: this.loginUrl,
          username: user?.username,
          password: user?.password,
          clientId: app?.clientId,
          clientSecret: app?.clientSecret,
          users: [...o.users.values()].map((u) => ({ id: u.id, username: u.username, integration: !!u.integration })),
        };
      }),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse, org: Org | undefined): Promise<void> {
    const started = Date.now();
    let ctx: RequestContext | undefined;
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? HOST}`);
      ctx = new RequestContext(req, res, org, url);
      await this.dispatch(ctx);
    } catch (err) {
      if (!ctx || res.headersSent) {
        res.destroy();
        return;
      }
      if (err instanceof SfError) {
        ctx.sendError(err);
      } else {
        const errorId = randomUUID().slice(0, 13);
        this.options.log?.(`internal error ${errorId}: ${(err as Error).stack ?? String(err)}`);
        ctx.sendJson(500, [
          { errorCode: 'UNKNOWN_EXCEPTION', message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${errorId}` },
        ]);
      }
    } finally {
      this.options.log?.(`${org?.name ?? 'login'} ${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
    }
  }

  private async dispatch(ctx: RequestContext): Promise<void> {
    const path = ctx.path;
    if (!path.startsWith('/__emulator__/') && ctx.org) {
      // Faults apply to every real endpoint of an org, before authentication, like an outage would.
      for (const action of ctx.org.faults.match(ctx.method, path + ctx.url.search)) {
        if (action.type === 'latency') await new Promise((r) => setTimeout(r, action.ms));
        else if (action.type === 'drop') {
          ctx.req.socket.destroy();
          return;
        } else {
          ctx.sendJson(action.status, [{ message: action.message, errorCode: action.errorCode }]);
          return;
        }
      }
    }
    const data = /^\/services\/data(?:\/v(\d+\.\d+))?(\/.*)?$/.exec(path);
    if (data && data[1]) {
      await this.dispatchApi(ctx, data[1], data[2] ?? '/');
      return;
    }
    const m = this.rootRouter.match(ctx.method, path);
    if (!m) throw errors.notFound();
    if ('allowed' in m) throw errors.methodNotAllowed(ctx.method, m.allowed);
    ctx.params = m.params;
    await m.handler(ctx);
  }

  private async dispatchApi(ctx: RequestContext, version: string, apiPath: string): Promise<void> {
    const org = ctx.org;
    const v = Number(version);
    if (!org || !(v >= MIN_API_VERSION && v <= Number(LATEST_API_VERSION))) throw errors.notFound();
    ctx.apiVersion = version;
    ctx.apiPath = apiPath;
    this.authenticate(ctx, org);
    const m = this.apiRouter.match(ctx.method, apiPath);
    if (!m) throw errors.notFound();
    if ('allowed' in m) throw errors.methodNotAllowed(ctx.method, m.allowed);
    org.checkApiLimit();
    org.limits.countCall(m.endpoint);
    ctx.params = m.params;
    await m.handler(ctx);
  }

  /** Bearer (REST) or OAuth (CometD) token; real orgs accept the session id both ways. */
  authenticate(ctx: RequestContext, org: Org): void {
    const auth = ctx.header('authorization') ?? '';
    const token = /^(?:Bearer|OAuth)\s+(.+)$/i.exec(auth)?.[1]?.trim();
    const session = org.sessions.validate(token);
    if (!session) throw errors.invalidSession();
    ctx.session = session;
    ctx.user = org.userById(session.userId);
  }
}
