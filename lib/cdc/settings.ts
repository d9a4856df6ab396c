/**
 * The settings of a change-capture node, checked: what the admin typed in the dialog, as the
 * engine takes it, or the problems in words.
 */
import { CHANGE_TYPES, changeEventChannel, type ChangeType } from './change-event.js';
import { expressionErrorText, type ExpressionEvaluator } from '../mapping/expressions.js';

export interface CdcSettingsInput {
  objects?: unknown;
  channel?: unknown;
  create?: unknown;
  update?: unknown;
  delete?: unknown;
  undelete?: unknown;
  fields?: unknown;
  start?: unknown;
  checkpointName?: unknown;
  condition?: unknown;
  backfill?: unknown;
}

export interface CdcSettings {
  objects: string[];
  channels: string[];
  changeTypes: Set<ChangeType>;
  watchedFields: Map<string, Set<string>>;
  firstStart: -1 | -2;
  /** The sf-bulk-query node (a backfill) to wait for before the first start; its changes since follow. */
  afterBackfill?: string;
  checkpointName: string;
  /** JSONata over the re-read record; empty: every record. */
  condition: string;
  /** The condition prepared by the evaluator given, as the engine takes it. */
  recordCondition?: { text: string; prepared: unknown; evaluator: ExpressionEvaluator };
}

const API_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const CHANNEL = /^\/data\/[A-Za-z][A-Za-z0-9_]*$/;

const list = (v: unknown) => String(v ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
const on = (v: unknown, fallback: boolean) => (v === undefined || v === '' ? fallback : v === true || v === 'true');

/** `evaluator` prepares the condition (Node-RED's JSONata in the node); without one it is not checked. */
export function cdcSettings(input: CdcSettingsInput, evaluator?: ExpressionEvaluator): { settings: CdcSettings; problems: string[] } {
  const problems: string[] = [];
  const condition = String(input.condition ?? '').trim();
  let recordCondition: CdcSettings['recordCondition'];
  if (condition && evaluator) {
    try {
      recordCondition = { text: condition, prepared: evaluator.prepare(condition), evaluator };
    } catch (err) {
      problems.push(`Condition: ${expressionErrorText(err)}; it is a JSONata expression over the record's fields, e.g. Industry = 'Energy'`);
    }
  }
  const objects = [...new Set(list(input.objects))];
  if (!objects.length) problems.push('Objects: name at least one object whose changes to capture, e.g. Account, Contact');
  for (const o of objects) if (!API_NAME.test(o)) problems.push(`Objects: '${o}' is not an object API name`);
  const channel = String(input.channel ?? '').trim();
  if (channel && !CHANNEL.test(channel)) problems.push(`Channel: '${channel}' is not a change event channel (/data/ChangeEvents, /data/AccountChangeEvent or a custom /data/…__chn channel)`);
  const changeTypes = new Set<ChangeType>(CHANGE_TYPES.filter((t) => on(input[t.toLowerCase() as 'create'], true)));
  if (!changeTypes.size) problems.push('Changes: choose at least one of create, update, delete and undelete');
  const watchedFields = new Map<string, Set<string>>();
  for (const f of list(input.fields)) {
    const [object, field] = f.includes('.') ? f.split('.', 2) as [string, string] : [undefined, f];
    if (!API_NAME.test(field) || (object !== undefined && !API_NAME.test(object))) {
      problems.push(`Fields: '${f}' is not a field API name (Industry, or Account.Industry for one object's)`);
      continue;
    }
    for (const o of object ? [object] : objects) {
      const set = watchedFields.get(o) ?? new Set<string>();
      set.add(field);
      watchedFields.set(o, set);
    }
  }
  const start = String(input.start ?? 'new');
  if (start !== 'new' && start !== 'retained' && start !== 'backfill') {
    problems.push(`Start: '${start}' is none of new (changes from now on), retained (every change the org still holds) and backfill (after a backfill)`);
  }
  const backfill = String(input.backfill ?? '').trim();
  if (start === 'backfill' && !backfill) problems.push('Start: choose the bulk query node whose backfill the change capture takes over from');
  return {
    settings: {
      objects,
      channels: channel ? [channel] : objects.map(changeEventChannel),
      changeTypes,
      watchedFields,
      firstStart: start === 'retained' ? -2 : -1,
      ...(start === 'backfill' && backfill ? { afterBackfill: backfill } : {}),
      checkpointName: String(input.checkpointName ?? '').trim(),
      condition,
      ...(recordCondition ? { recordCondition } : {}),
    },
    problems,
  };
}

/** What one change-capture node subscribes to, as far as its checkpoints go. */
export interface CheckpointOwner {
  id: string;
  name: string;
  connection: string;
  channels: readonly string[];
  checkpointName: string;
}

/**
 * The other nodes that would move the same checkpoints as `self`: on the same connection, with a
 * channel in common and the same checkpoint name. Each moves the checkpoint past what its own flow
 * wrote, so one could skip changes the other has not written yet.
 */
export function sharedCheckpoints(self: CheckpointOwner, others: readonly CheckpointOwner[]): Array<{ name: string; channels: string[] }> {
  const mine = new Set(self.channels.map((c) => c.toLowerCase()));
  return others
    .filter((o) => o.id !== self.id && o.connection === self.connection && o.checkpointName === self.checkpointName)
    .map((o) => ({ name: o.name || o.id, channels: o.channels.filter((c) => mine.has(c.toLowerCase())) }))
    .filter((o) => o.channels.length > 0);
}
