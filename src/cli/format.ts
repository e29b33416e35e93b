// Human output of the operator commands: aligned tables, times and durations as people read them.
// `--json` output never goes through here.

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** `12s`, `4m05s`, `2h03m`, `3d04h`: two units at most. */
export function durationText(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}

/** An ISO time as `2026-12-02 02:10:03Z` (UTC, to the second), or `-`. */
export function timeText(iso: string | undefined): string {
  if (iso === undefined) return '-';
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return `${at.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** Milliseconds between two ISO times (the second defaults to now), or undefined. */
export function between(
  from: string | undefined,
  to: string | undefined,
  now: number = Date.now(),
): number | undefined {
  if (from === undefined) return undefined;
  const start = Date.parse(from);
  const end = to === undefined ? now : Date.parse(to);
  return Number.isNaN(start) || Number.isNaN(end) ? undefined : end - start;
}

/** A value or `-`. */
export const orDash = (value: string | undefined): string =>
  value === undefined || value === '' ? '-' : value;
