/** What is waiting to be tried again right now, for dashboards and for whoever wonders why a sync is slow. */
export interface RetryEntry {
  /** Who is retrying: the writer's target org and object. */
  targetOrg: string;
  object: string;
  /** The batch (msg.s2s.batchId) the records came in, when known. */
  batchId?: string;
  /** Records waiting for the next try. */
  records: number;
  /** Source Ids of the first few of them. */
  sourceIds: string[];
  /** The try that comes next (2 for the first retry). */
  attempt: number;
  maxAttempts: number;
  /** When the next try is due (ms since epoch). */
  nextTryAt: number;
  lastError: { code: string; message: string };
}

/** Retries under way in this process, by a key their owner chooses; an entry goes once its wait ends. */
export class RetryBoard {
  private readonly entries = new Map<string, RetryEntry>();

  set(key: string, entry: RetryEntry): void {
    this.entries.set(key, entry);
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  list(): RetryEntry[] {
    return [...this.entries.values()].map((e) => ({ ...e, sourceIds: [...e.sourceIds], lastError: { ...e.lastError } }));
  }
}
