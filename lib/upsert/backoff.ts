import type { RetryPolicy } from './types.js';

/**
 * Wait before retry number `retry` (1 for the first retry): exponential steps from `baseMs`
 * capped at `maxMs`, with full jitter (a uniform share of the step) when asked, so writers that
 * failed together on a lock do not come back together.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  return policy.jitter ? Math.floor(random() * step) : step;
}

export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Lets timers and I/O run between slices of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
