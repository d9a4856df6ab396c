// Checks of the editors' dialog fields, shared by the node editors. The runtime settings
// (lib/) have the last word; these only catch typos while the admin types.

/** An object or field API name. */
export const API_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
/** A field, plain (`Phone`, for every object) or qualified (`Contact.Phone`, for one). */
export const FIELD = /^(?:[A-Za-z][A-Za-z0-9_]*\.)?[A-Za-z][A-Za-z0-9_]*$/;

/** The names of a comma- or space-separated list. */
export function names(text: string): string[] {
  return String(text ?? '').split(/[\s,]+/).map((s) => s.trim()).filter(Boolean);
}

/** Empty, or a whole number from min to max. */
export function wholeNumberIn(v: string, min: number, max: number): boolean {
  const t = String(v ?? '').trim();
  if (!t) return true;
  const n = Number(t);
  return Number.isInteger(n) && n >= min && n <= max;
}
