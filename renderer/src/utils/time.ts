/** Times as the inspect views show them: local time for reading, ISO UTC in the tooltip. */

/** "2026-11-22 05:50:08" in the local time zone (24 h, sortable, unambiguous). */
export function localTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** The tooltip: the ISO UTC value and the local zone name. */
export function timeTooltip(iso: string | null | undefined): string {
  if (!iso) return 'not set';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return `${date.toISOString().replace('.000Z', 'Z')} (UTC) — shown in ${zone}`;
}

/** "3 h 12 min", "45 s", "2 d 4 h": the two largest units of a duration. */
export function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  const units: [number, string][] = [
    [86400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let rest = s;
  for (const [size, unit] of units) {
    const n = Math.floor(rest / size);
    if (n > 0 || (unit === 's' && parts.length === 0)) parts.push(`${n} ${unit}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return parts.join(' ');
}

/** "expired 3 h ago" / "expires in 9 h 59 min" relative to `now`. */
export function expiry(iso: string | null | undefined, now: number): { expired: boolean; text: string } | null {
  if (!iso) return null;
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return null;
  return t <= now ? { expired: true, text: `expired ${duration(now - t)} ago` } : { expired: false, text: `expires in ${duration(t - now)}` };
}
