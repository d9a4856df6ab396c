import { performance } from 'node:perf_hooks';
import { API_BUDGET_EXCEEDED, CONFIGURATION, errorCode } from '../connection/errors.js';
import { budgetPercent, type ApiUsage } from '../connection/api-usage.js';
import type { OrgConnection } from '../connection/org-connection.js';
import { reasonOf } from '../salesforce/errors.js';
import { OrgApi } from '../salesforce/org-api.js';
import type { AvailabilityStatus } from '../ledger/index.js';
import { severityOf, type HealthSample } from './health-sample.js';
import { loginKeyOf } from '../connection/org-key.js';

export interface HealthCheckOptions {
  /** A `/limits` round trip slower than this (ms) makes the org degraded. */
  degradedLatencyMs: number;
  /** API usage above this percent of the integration's budget makes the org degraded. */
  degradedApiPercent: number;
  /** Clock for the sample's time (the emulator's in tests); Date.now by default. */
  now?: () => number;
  /** The check gives up and reports the org unavailable after this long, login included. */
  timeoutMs?: number;
}

export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** One check costs exactly one API call: GET /limits (logging in, when needed, is OAuth, not API). */
export const API_CALLS_PER_CHECK = 1;

const CHECK_TIMEOUT = 'TIMEOUT';

class CheckTimeoutError extends Error {
  readonly code = CHECK_TIMEOUT;
}

interface Outcome {
  status: AvailabilityStatus;
  reachable: boolean;
  authenticated: boolean;
  reason: string;
  code?: string;
}

/**
 * Checks one connection: logs in if it is not (a login is not an API call), then times one cheap
 * authenticated call, GET /limits, which also brings the API usage. Never throws for the org's
 * problems: they are the result. The reason comes from the connection's own failure text, which
 * has its secrets masked, and is masked once more here.
 *
 * The call is the access layer's limits probe (OrgApi.limits): through OrgConnection.run (state
 * changes, budget, session renewal) with a single attempt, since a read retried for 15.5 s would make
 * a down org slow to report and a struggling one look merely slow.
 */
export async function checkConnection(conn: OrgConnection, options: HealthCheckOptions): Promise<HealthSample> {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const at = now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const deadline = performance.now() + timeoutMs;
  const within = <T>(p: Promise<T>) => withDeadline(p, deadline, () => `No answer from ${conn.host} within ${timeoutMs} ms`);

  let usage: ApiUsage | undefined;
  let latencyMs: number | null = null;
  let outcome: Outcome;
  const standing = standingFailure(conn);
  if (standing) {
    outcome = standing;
  } else {
    try {
      // Logging in first keeps a login's several round trips out of the latency figure.
      await within(conn.connection());
      const started = performance.now();
      usage = await within(new OrgApi(conn).limits());
      latencyMs = Math.round((performance.now() - started) * 10) / 10;
      outcome = usageOutcome(usage, latencyMs, options);
    } catch (err) {
      outcome = failureOutcome(err, conn);
      // The connection refused the call itself: the figures it refused on are its own.
      if (errorCode(err) === API_BUDGET_EXCEEDED) usage = conn.apiUsage();
    }
  }

  const identity = conn.identity;
  const loginKey = loginKeyOf(conn);
  const sample: HealthSample = {
    orgId: identity?.orgId ? identity.orgId : loginKey,
    orgName: conn.settings.name,
    at,
    status: outcome.status,
    severity: severityOf(outcome.status),
    latencyMs,
    apiUsed: usage?.used ?? null,
    apiLimit: usage?.limit ?? null,
    apiBudget: usage?.budget ?? null,
    apiPercent: usage ? budgetPercent(usage) : null,
    reason: conn.mask(outcome.reason),
    loginKey,
    identified: Boolean(identity?.orgId),
    reachable: outcome.reachable,
    authenticated: outcome.authenticated,
    connectionState: conn.state,
  };
  if (outcome.code) sample.code = outcome.code;
  return sample;
}

function usageOutcome(usage: ApiUsage, latencyMs: number, options: HealthCheckOptions): Outcome {
  const percent = budgetPercent(usage);
  const calls = `${usage.used} of ${usage.budget} calls (org limit ${usage.limit})`;
  if (usage.used >= usage.budget) {
    // Reachable, but every further call of this integration is refused until the daily reset.
    return { status: 'unavailable', reachable: true, authenticated: true, code: API_BUDGET_EXCEEDED, reason: `API budget used up: ${calls}; calls resume after the daily reset` };
  }
  const problems: string[] = [];
  if (latencyMs > options.degradedLatencyMs) problems.push(`Slow: /limits answered in ${Math.round(latencyMs)} ms (degraded above ${options.degradedLatencyMs} ms)`);
  if (percent > options.degradedApiPercent) problems.push(`API usage at ${percent}% of this integration's budget: ${calls} (degraded above ${options.degradedApiPercent}%)`);
  if (problems.length) return { status: 'degraded', reachable: true, authenticated: true, reason: problems.join('; ') };
  return { status: 'available', reachable: true, authenticated: true, reason: `OK: /limits answered in ${Math.round(latencyMs)} ms; API ${calls}, ${percent}% of the budget` };
}

/**
 * A connection that failed for a reason only a person can fix (wrong password, unknown client id,
 * incomplete settings) is not logged in again by every check: each try would be one more failed
 * login, and Salesforce locks the user out after a few. Deploying the fixed connection (a new
 * OrgConnection) or conn.reset() makes the next check try again.
 */
function standingFailure(conn: OrgConnection): Outcome | undefined {
  const f = conn.failure;
  if (conn.state !== 'failed' || !f || f.transient) return undefined;
  if (f.code === CONFIGURATION) return { status: 'unavailable', reachable: false, authenticated: false, reason: f.message, code: f.code };
  return classified(f.kind, f.code, `${f.message} (not retried until the connection is changed)`, conn);
}

/** What the error a check got says about the org: the wrapped errors of OrgConnection carry a kind. */
function failureOutcome(err: unknown, conn: OrgConnection): Outcome {
  const e = err as { message?: string; code?: string; kind?: string };
  const reason = reasonOf(err);
  const code = errorCode(err);
  if (code === CHECK_TIMEOUT) return { status: 'unavailable', reachable: false, authenticated: false, reason, code };
  if (code === API_BUDGET_EXCEEDED) return { status: 'unavailable', reachable: true, authenticated: true, reason, code };
  if (code === CONFIGURATION) return { status: 'unavailable', reachable: false, authenticated: false, reason, code };
  return classified(e.kind, e.code, reason, conn);
}

function classified(kind: string | undefined, code: string | undefined, reason: string, conn: OrgConnection): Outcome {
  const connected = conn.state === 'connected';
  switch (kind) {
    case 'network':
      return { status: 'unavailable', reachable: false, authenticated: false, reason, code };
    case 'auth': // wrong credentials, or a session that cannot be renewed
    case 'config': // the org answered, but refuses this connected app or flow
      return { status: 'unavailable', reachable: true, authenticated: false, reason, code };
    case 'limit': // the org's own daily limit is spent: nothing can run until it resets
      return { status: 'unavailable', reachable: true, authenticated: true, reason, code };
    case 'server': // a 5xx: Salesforce is there but struggling, and it is worth retrying
      return { status: 'degraded', reachable: true, authenticated: connected, reason, code };
    default:
      // Something unexpected on an otherwise working session is a warning; without one, nothing works.
      return connected
        ? { status: 'degraded', reachable: true, authenticated: true, reason, code }
        : { status: 'unavailable', reachable: conn.state !== 'unavailable', authenticated: false, reason, code };
  }
}

async function withDeadline<T>(p: Promise<T>, deadline: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CheckTimeoutError(message())), Math.max(0, deadline - performance.now()));
  });
  try {
    // race() also handles a late rejection of `p`, so a call that gives up after the deadline is not unhandled.
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function checkOptions(o: HealthCheckOptions): void {
  if (!(o.degradedLatencyMs >= 0)) throw new RangeError('degradedLatencyMs must be a number of milliseconds, 0 or more');
  if (!(o.degradedApiPercent >= 0 && o.degradedApiPercent <= 100)) throw new RangeError('degradedApiPercent must be between 0 and 100');
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0)) throw new RangeError('timeoutMs must be positive');
}
