/**
 * Checks a schema cannot express: mistakes across entries of one document, found before any org
 * is asked for a describe (the editor runs them on every keystroke).
 */
import type { Mapping } from './format.js';

export function documentProblems(m: Mapping): string[] {
  const problems: string[] = [];
  const matchField = m.match.by === 'externalId' ? m.match.field.toLowerCase() : undefined;

  const unconditional = new Map<string, number>();
  const fieldTargets = new Map<string, number>();
  m.fields.forEach((f, i) => {
    const key = f.target.toLowerCase();
    const earlier = unconditional.get(key);
    if (earlier !== undefined) problems.push(`fields[${i}] is never used: fields[${earlier}] already maps ${m.fields[earlier]!.target} without a condition`);
    if (f.condition === undefined && earlier === undefined) unconditional.set(key, i);
    if (!fieldTargets.has(key)) fieldTargets.set(key, i);
    if (key === matchField) problems.push(`fields[${i}].target: ${f.target} is the match key; its value comes from match.value`);
    if ('constant' in f && f.valueMap) problems.push(`fields[${i}].valueMap has no effect on a constant`);
    if ('constant' in f && 'default' in f) problems.push(`fields[${i}].default has no effect on a constant`);
    if (f.valueMap?.caseInsensitive) problems.push(...caseCollisions(f.valueMap.values, `fields[${i}].valueMap.values`));
  });

  const relationshipTargets = new Map<string, number>();
  (m.relationships ?? []).forEach((r, i) => {
    const key = r.target.toLowerCase();
    const asField = fieldTargets.get(key);
    if (asField !== undefined) problems.push(`relationships[${i}].target: ${r.target} is also mapped by fields[${asField}]`);
    if (key === matchField) problems.push(`relationships[${i}].target: ${r.target} is the match key`);
    const objectKey = `${key}\u0000${r.object.toLowerCase()}`;
    const earlier = relationshipTargets.get(objectKey);
    if (earlier !== undefined) problems.push(`relationships[${i}] maps ${r.target} to ${r.object} again (see relationships[${earlier}])`);
    else relationshipTargets.set(objectKey, i);
  });
  return problems;
}

function caseCollisions(values: Record<string, unknown>, path: string): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const key of Object.keys(values)) {
    const lower = key.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined && values[other] !== values[key]) {
      out.push(`${path}: "${other}" and "${key}" differ only in case but map to different values (caseInsensitive is set)`);
    }
    if (other === undefined) seen.set(lower, key);
  }
  return out;
}
