import { SfError } from './errors.js';

/** What a matching fault does to a request. */
export type FaultAction =
  | { type: 'error'; status: number; errorCode: string; message: string }
  | { type: 'latency'; ms: number }
  | { type: 'drop' };

export interface FaultSpec {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Regular expression tested against the request path (and query), e.g. `/composite/sobjects`. */
  path?: string;
  /** How many matching requests it applies to; unlimited when absent. */
  count?: number;
  /** Chance, 0..1, that a matching request is hit. */
  probability?: number;
  action: FaultAction;
}

export interface Fault extends FaultSpec {
  id: number;
  hits: number;
}

/** Fault rules of one org, checked against every API request in the order they were added. */
export class FaultInjector {
  private faults: Fault[] = [];
  private nextId = 1;
  /** Record Ids that answer UNABLE_TO_LOCK_ROW to writes, with how many more times. */
  private readonly locks = new Map<string, number>();

  add(spec: FaultSpec): Fault {
    validateSpec(spec);
    const f: Fault = { ...spec, id: this.nextId++, hits: 0 };
    this.faults.push(f);
    return f;
  }

  remove(id: number): boolean {
    const before = this.faults.length;
    this.faults = this.faults.filter((f) => f.id !== id);
    return this.faults.length < before;
  }

  clear(): void {
    this.faults = [];
    this.locks.clear();
  }

  list(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  /** The actions that apply to this request (latency can combine with an error or a drop). */
  match(method: string, pathAndQuery: string, random: () => number = Math.random): FaultAction[] {
    const actions: FaultAction[] = [];
    for (const f of this.faults) {
      if (f.method && f.method.toUpperCase() !== method.toUpperCase()) continue;
      if (f.path && !new RegExp(f.path).test(pathAndQuery)) continue;
      if (f.count !== undefined && f.hits >= f.count) continue;
      if (f.probability !== undefined && random() >= f.probability) continue;
      f.hits++;
      actions.push(f.action);
    }
    this.faults = this.faults.filter((f) => f.count === undefined || f.hits < f.count);
    return actions;
  }

  lockRecords(ids: string[], times = Number.POSITIVE_INFINITY): void {
    for (const id of ids) this.locks.set(id, times);
  }

  unlockRecords(ids?: string[]): void {
    if (!ids) this.locks.clear();
    else for (const id of ids) this.locks.delete(id);
  }

  /** Throws the real lock error when a write touches a locked record; each hit uses up one time. */
  checkLock(id: string): void {
    const left = this.locks.get(id);
    if (left === undefined) return;
    if (left <= 1) this.locks.delete(id);
    else this.locks.set(id, left - 1);
    throw new SfError('UNABLE_TO_LOCK_ROW', `unable to obtain exclusive access to this record or 1 records: ${id}`, 400);
  }

  lockedIds(): string[] {
    return [...this.locks.keys()];
  }
}

function validateSpec(spec: FaultSpec): void {
  if (!spec || typeof spec !== 'object' || !spec.action) throw new Error('a fault needs an action');
  if (spec.path !== undefined) new RegExp(spec.path);
  const a = spec.action;
  if (a.type === 'error') {
    if (!Number.isInteger(a.status) || a.status < 400) throw new Error('an error fault needs an HTTP status of 400 or more');
    if (!a.errorCode) throw new Error('an error fault needs an errorCode');
  } else if (a.type === 'latency') {
    if (!(a.ms >= 0)) throw new Error('a latency fault needs ms >= 0');
  } else if (a.type !== 'drop') {
    throw new Error(`unknown fault action type ${(a as { type: string }).type}`);
  }
  if (spec.probability !== undefined && !(spec.probability >= 0 && spec.probability <= 1)) {
    throw new Error('probability must be between 0 and 1');
  }
}
