import type { DescribeGlobalResult, DescribeSObjectResult } from 'jsforce';
import { LRUCache } from 'lru-cache';
import type { OrgConnection } from '../connection/org-connection.js';

/** One object of the org's object list (describeGlobal). */
export type GlobalObject = DescribeGlobalResult['sobjects'][number];

/**
 * How long a describe is believed. Long enough that a sync run, a deploy's compile and an editing
 * session ask each object once; short enough that a field added in Setup shows up without a restart.
 * Anything that learns the schema changed (the editor's refresh) invalidates at once.
 */
export const DESCRIBE_TTL_MS = 5 * 60_000;

/** Objects kept per org: far more than any mapping or collection involves. */
const MAX_OBJECTS = 1000;

/**
 * One org's describes: one cache per OrgConnection, shared by every node and editor endpoint that
 * uses it, so an object is described once per TTL however many ask. A redeployed connection is a
 * new OrgConnection and starts afresh. A failed describe is forgotten at once so the next caller
 * tries again; an object the org does not have is remembered (as null) like any answer.
 */
export class DescribeCache {
  private readonly objects: LRUCache<string, Promise<DescribeSObjectResult | null>>;
  private global?: { at: number; list: Promise<GlobalObject[]> };

  constructor(
    private readonly ttlMs = DESCRIBE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {
    // ttlResolution 0: ask the clock every time (a cached reading would outlive a test's clock).
    this.objects = new LRUCache({ max: MAX_OBJECTS, ttl: ttlMs, ttlResolution: 0, perf: { now } });
  }

  /** The describe of `object`, from the cache or from `fetch` (whose API call the caller counts). */
  object(object: string, fetch: () => Promise<DescribeSObjectResult | null>): Promise<DescribeSObjectResult | null> {
    const key = object.toLowerCase();
    let d = this.objects.get(key);
    if (!d) {
      d = fetch();
      this.objects.set(key, d);
      const asked = d;
      asked.catch(() => {
        if (this.objects.get(key) === asked) this.objects.delete(key);
      });
    }
    return d;
  }

  /** The org's object list (describeGlobal), from the cache or from `fetch`. */
  list(fetch: () => Promise<GlobalObject[]>): Promise<GlobalObject[]> {
    if (!this.global || this.now() - this.global.at > this.ttlMs) {
      const list = fetch();
      const entry = { at: this.now(), list };
      this.global = entry;
      list.catch(() => {
        if (this.global === entry) this.global = undefined;
      });
    }
    return this.global.list;
  }

  /** Forgets one object's describe, or every describe and the object list. */
  invalidate(object?: string): void {
    if (object === undefined) {
      this.objects.clear();
      this.global = undefined;
    } else {
      this.objects.delete(object.toLowerCase());
    }
  }
}

const caches = new WeakMap<OrgConnection, DescribeCache>();

/** The describe cache of one connection (created on first use). */
export function describeCacheOf(org: OrgConnection): DescribeCache {
  let cache = caches.get(org);
  if (!cache) caches.set(org, (cache = new DescribeCache()));
  return cache;
}
