/**
 * A short, rounded length of time for status texts and reasons ("45 s", "16 min", "3 h", "2 d"):
 * how long something has been quiet is read at a glance, not to the second.
 */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 90) return `${min} min`;
  const h = Math.round(min / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} d`;
}
