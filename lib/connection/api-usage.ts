/** How much of the org's daily API limit is used, against the share this integration may use. */
export interface ApiUsage {
  used: number;
  limit: number;
  /** The part of `limit` this integration may use (the budget share). */
  budget: number;
  /** When these figures were read (ms since epoch). */
  at: number;
}

/**
 * The one place the budget is worked out, whether the figures came from the `Sforce-Limit-Info`
 * header of any call or from the body of GET /limits: `percent` of the org's limit, rounded down.
 */
export function apiUsageOf(used: number, limit: number, percent: number, at: number): ApiUsage {
  return { used, limit, budget: Math.floor((limit * percent) / 100), at };
}

/** Used as a percentage of the budget, to one decimal (100 when the budget is 0). */
export function budgetPercent(usage: ApiUsage): number {
  if (usage.budget <= 0) return 100;
  return Math.round((usage.used / usage.budget) * 1000) / 10;
}
