/**
 * The editor's auto-map: pairs target fields with source fields by equal API name, then by equal
 * label, and says whether the types fit. Lookups are left out: they belong under relationships,
 * where a source Id becomes a target reference.
 */
import { fieldKind, isWritable, type DescribeField, type ObjectDescribe } from './describe.js';
import { fieldCompatibility, type CompatibilityLevel } from './type-compat.js';

export interface FieldSuggestion {
  target: string;
  source: string;
  matchedBy: 'name' | 'label';
  /** False when the values can never convert (the pair should not be offered pre-ticked). */
  compatible: boolean;
  compatibility: CompatibilityLevel;
  /** Why, for warnings and errors. */
  notes: string[];
}

const NOT_MAPPABLE = new Set(['id', 'compound']);

function mappableTarget(f: DescribeField): boolean {
  return isWritable(f) && !f.calculated && !f.autoNumber && !NOT_MAPPABLE.has(fieldKind(f));
}

function mappableSource(f: DescribeField): boolean {
  return !NOT_MAPPABLE.has(fieldKind(f));
}

function normalLabel(label: string): string {
  return label.trim().toLowerCase().replace(/\s+/g, ' ');
}

export function suggestFieldMappings(sourceDescribe: ObjectDescribe, targetDescribe: ObjectDescribe): FieldSuggestion[] {
  const sources = sourceDescribe.fields.filter(mappableSource);
  const byName = new Map(sources.map((f) => [f.name.toLowerCase(), f]));
  const byLabel = new Map<string, DescribeField | null>();
  for (const f of sources) {
    const key = normalLabel(f.label);
    // A label two source fields share is no evidence for either.
    byLabel.set(key, byLabel.has(key) ? null : f);
  }
  const targets = targetDescribe.fields.filter(mappableTarget);
  const used = new Set<string>();
  const picks = new Map<string, { source: DescribeField; matchedBy: 'name' | 'label' }>();
  for (const t of targets) {
    const s = byName.get(t.name.toLowerCase());
    if (s) {
      picks.set(t.name, { source: s, matchedBy: 'name' });
      used.add(s.name);
    }
  }
  for (const t of targets) {
    if (picks.has(t.name)) continue;
    const s = byLabel.get(normalLabel(t.label));
    if (s && !used.has(s.name)) {
      picks.set(t.name, { source: s, matchedBy: 'label' });
      used.add(s.name);
    }
  }
  return targets.flatMap((t) => {
    const pick = picks.get(t.name);
    if (!pick) return [];
    const findings = fieldCompatibility(pick.source, t);
    const level: CompatibilityLevel = findings.some((c) => c.level === 'error') ? 'error' : findings.length ? 'warning' : 'ok';
    return [{
      target: t.name,
      source: pick.source.name,
      matchedBy: pick.matchedBy,
      compatible: level !== 'error',
      compatibility: level,
      notes: findings.map((c) => c.reason ?? ''),
    }];
  });
}
