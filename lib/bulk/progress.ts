/**
 * What a long read tells people while it runs: records written of the total, the rate over the
 * run so far, and when it should end at that rate. Pure arithmetic on the source's counts.
 */
export interface ProgressFigures {
  written: number;
  total: number;
  /** 0..100, one decimal; null when the total is not known. */
  percent: number | null;
  /** Records written per second since this run began (records of earlier runs not counted). */
  perSecond: number;
  /** Milliseconds left at that rate; null until a rate is known or when the total is not. */
  etaMs: number | null;
}

export function progressFigures(p: { written: number; total: number; resumedAt: number }, startedAt: number, now: number): ProgressFigures {
  const seconds = Math.max(0, now - startedAt) / 1000;
  const thisRun = Math.max(0, p.written - p.resumedAt);
  const perSecond = seconds > 0 ? Math.round((thisRun / seconds) * 10) / 10 : 0;
  const left = Math.max(0, p.total - p.written);
  return {
    written: p.written,
    total: p.total,
    percent: p.total > 0 ? Math.round((Math.min(p.written, p.total) / p.total) * 1000) / 10 : null,
    perSecond,
    etaMs: p.total > 0 && perSecond > 0 ? Math.round((left / perSecond) * 1000) : p.total > 0 && left === 0 ? 0 : null,
  };
}
