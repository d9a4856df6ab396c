/**
 * The one error a call through the access layer fails with. It keeps the connection's verdict on
 * the failure (`code`, `kind`, `transient`, see describeFailure) and says what was being done, so a
 * node can show "reading Account records: Cannot reach …" and a writer can classify it by code.
 */
export class OrgCallError extends Error {
  readonly code: string;
  readonly kind: string;
  readonly transient: boolean;

  constructor(
    /** What the call was for ("reading Account records"); the message starts with it when given. */
    readonly what: string | undefined,
    cause: unknown,
    /** The query, for reads, so a failing SOQL can be shown to whoever wrote the filter. */
    readonly soql?: string,
  ) {
    const c = (cause ?? {}) as { message?: string; code?: string; kind?: string; transient?: boolean };
    const reason = c.message ?? String(cause);
    super(what ? `${what}: ${reason}` : reason, { cause });
    this.name = 'OrgCallError';
    this.code = c.code ?? 'UNKNOWN';
    this.kind = c.kind ?? 'unknown';
    this.transient = c.transient ?? false;
  }
}

/** The reason an aborted call gives: the signal's own reason when it is an Error. */
export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('the call was aborted');
}

/**
 * The reason alone, without what the call was for: the connection's own words ("Cannot reach …",
 * "Wrong client secret …") where the caller already says what it was doing.
 */
export function reasonOf(err: unknown): string {
  if (err instanceof OrgCallError && err.cause instanceof Error) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}
