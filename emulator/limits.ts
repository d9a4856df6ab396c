/** Per-org API limits and call counting, reported in `/limits` and `Sforce-Limit-Info`. */
export interface LimitValue {
  Max: number;
  Remaining: number;
}

const DEFAULT_MAXIMA: Record<string, number> = {
  DailyApiRequests: 100000,
  DailyAsyncApexExecutions: 250000,
  DailyBulkApiBatches: 15000,
  DailyBulkV2QueryFileStorageMB: 976562,
  DailyBulkV2QueryJobs: 10000,
  DailyDurableStreamingApiEvents: 1000000,
  DailyStandardVolumePlatformEvents: 50000,
  DailyDeliveredPlatformEvents: 50000,
  DurableStreamingApiConcurrentClients: 2000,
  HourlyPublishedPlatformEvents: 250000,
  HourlyPublishedStandardVolumePlatformEvents: 100000,
  MonthlyPlatformEventsUsageEntitlement: 1500000,
  ConcurrentAsyncGetReportInstances: 200,
  ConcurrentSyncReportRuns: 20,
  DataStorageMB: 5,
  FileStorageMB: 20,
  SingleEmailMessages: 5000,
  MassEmail: 5000,
  HourlyODataCallout: 20000,
  HourlyTimeBasedWorkflow: 1000,
  PermissionSets: 1500,
};

export class ApiLimits {
  private maxima: Record<string, number> = { ...DEFAULT_MAXIMA };
  private used: Record<string, number> = {};
  /** API calls by endpoint, e.g. `GET /sobjects/{type}/{id}` -> 12. */
  readonly byEndpoint = new Map<string, number>();
  private total = 0;

  setMax(name: string, max: number): void {
    this.maxima[name] = max;
  }

  /** Marks `used` for a limit directly (e.g. to simulate an exhausted daily limit). */
  setUsed(name: string, used: number): void {
    this.used[name] = used;
  }

  use(name: string, n = 1): void {
    this.used[name] = (this.used[name] ?? 0) + n;
  }

  usedOf(name: string): number {
    return this.used[name] ?? 0;
  }

  maxOf(name: string): number {
    return this.maxima[name] ?? 0;
  }

  /** True when another API request would go over the daily limit. */
  apiExhausted(): boolean {
    return this.usedOf('DailyApiRequests') >= this.maxOf('DailyApiRequests');
  }

  countCall(endpoint: string): void {
    this.total++;
    this.use('DailyApiRequests');
    this.byEndpoint.set(endpoint, (this.byEndpoint.get(endpoint) ?? 0) + 1);
  }

  get totalCalls(): number {
    return this.total;
  }

  limitInfoHeader(): string {
    return `api-usage=${this.usedOf('DailyApiRequests')}/${this.maxOf('DailyApiRequests')}`;
  }

  report(): Record<string, LimitValue> {
    const out: Record<string, LimitValue> = {};
    for (const [name, max] of Object.entries(this.maxima)) {
      out[name] = { Max: max, Remaining: Math.max(0, max - (this.used[name] ?? 0)) };
    }
    return out;
  }

  counts(): { total: number; byEndpoint: Record<string, number> } {
    return { total: this.total, byEndpoint: Object.fromEntries(this.byEndpoint) };
  }

  resetCounts(): void {
    this.byEndpoint.clear();
    this.total = 0;
    this.used = {};
  }
}
