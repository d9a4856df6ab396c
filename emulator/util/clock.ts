/** A settable clock: real time plus an offset, or frozen at a chosen instant. */
export class Clock {
  private offsetMs = 0;
  private frozenAt: number | undefined;

  now(): number {
    return this.frozenAt ?? Date.now() + this.offsetMs;
  }

  /** Moves time to `ms`; with `freeze` it stays there until set again. */
  set(ms: number, freeze = false): void {
    if (freeze) {
      this.frozenAt = ms;
    } else {
      this.frozenAt = undefined;
      this.offsetMs = ms - Date.now();
    }
  }

  advance(ms: number): void {
    if (this.frozenAt !== undefined) this.frozenAt += ms;
    else this.offsetMs += ms;
  }

  reset(): void {
    this.offsetMs = 0;
    this.frozenAt = undefined;
  }

  state(): { now: string; frozen: boolean; offsetMs: number } {
    return { now: new Date(this.now()).toISOString(), frozen: this.frozenAt !== undefined, offsetMs: this.offsetMs };
  }
}

/** `2024-05-01T12:34:56.000+0000`, the form Salesforce uses for datetime values. */
export function sfDateTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export function sfDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parses the datetime forms Salesforce accepts (Z, +0000, +00:00, with or without millis). */
export function parseSfDateTime(text: string): number | undefined {
  const m = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  if (!m) return undefined;
  const [, date, time, zone] = m;
  let z = zone ?? 'Z';
  if (/^[+-]\d{4}$/.test(z)) z = `${z.slice(0, 3)}:${z.slice(3)}`;
  const iso = time ? `${date}T${time}${z}` : `${date}T00:00:00Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}
