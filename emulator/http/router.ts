import type { RequestContext } from './context.js';

export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  method: string;
  regex: RegExp;
  names: string[];
  handler: Handler;
  /** Name the call is counted under, e.g. `GET /sobjects/{type}/{id}`. */
  endpoint: string;
}

/**
 * Matches a method and path against patterns such as `/sobjects/:type/:id`. A path that matches
 * some route but not its method gets the list of allowed methods, for the real 405 answer.
 */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): this {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((seg) => {
        if (seg.startsWith(':')) {
          const rest = seg.endsWith('*');
          names.push(seg.slice(1).replace('*', ''));
          return rest ? '(.+)' : '([^/]+)';
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    const endpoint = `${method} ${pattern.replace(/:([A-Za-z]+)\*?/g, '{$1}')}`;
    this.routes.push({ method, regex: new RegExp(`^${source}/?$`), names, handler, endpoint });
    return this;
  }

  get(p: string, h: Handler): this {
    return this.add('GET', p, h);
  }
  post(p: string, h: Handler): this {
    return this.add('POST', p, h);
  }
  patch(p: string, h: Handler): this {
    return this.add('PATCH', p, h);
  }
  put(p: string, h: Handler): this {
    return this.add('PUT', p, h);
  }
  delete(p: string, h: Handler): this {
    return this.add('DELETE', p, h);
  }

  match(method: string, path: string): { handler: Handler; params: Record<string, string>; endpoint: string } | { allowed: string[] } | undefined {
    const allowed: string[] = [];
    for (const r of this.routes) {
      const m = r.regex.exec(path);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) {
        allowed.push(r.method);
        continue;
      }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1] ?? '')));
      return { handler: r.handler, params, endpoint: r.endpoint };
    }
    return allowed.length ? { allowed } : undefined;
  }
}
