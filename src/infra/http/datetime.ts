/**
 * Strict ISO-8601 parsing for request values. `Date.parse` alone is too lenient for an API: it rolls
 * `2026-02-30` over into March, reads an offset-less time in the server's local zone, and accepts
 * years PostgreSQL rejects (`0000`, or `+010000` once an offset is applied), which would end in a 500.
 */

/** The range of Python's `datetime` (years 1–9999), which PostgreSQL stores without complaint. */
const MIN_TIME = Date.parse('0001-01-01T00:00:00.000Z');
const MAX_TIME = Date.parse('9999-12-31T23:59:59.999Z');

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/i;

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function daysInMonth(year: number, month: number): number {
  return [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}

function isCalendarDate(year: number, month: number, day: number): boolean {
  return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Milliseconds since the epoch of a UTC wall-clock time (`Date.UTC` maps years 0–99 to 19xx). */
function utcTime(year: number, month: number, day: number, hour = 0, minute = 0, second = 0, ms = 0): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime();
}

/** `YYYY-MM-DD` naming a real day of years 1–9999. */
export function isIsoDate(value: string): boolean {
  const m = DATE.exec(value);
  return m !== null && isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3]));
}

export type ParsedDateTime = { ok: true; value: Date } | { ok: false; reason: 'format' | 'range' };

/**
 * `YYYY-MM-DD[T ]hh:mm[:ss[.fff]]` with `Z` or `±hh[:]mm`; without an offset (only when
 * `offsetRequired` is false) the time is read as UTC. `format`: not such a string, or no such
 * day or time; `range`: outside years 1–9999 once converted to UTC.
 */
export function parseIsoDateTime(
  value: string,
  { offsetRequired }: { offsetRequired: boolean },
): ParsedDateTime {
  const m = DATE_TIME.exec(value);
  if (!m) return { ok: false, reason: 'format' };
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0').slice(0, 3));
  const hasOffset = m[8] !== undefined || m[9] !== undefined;
  if (offsetRequired && !hasOffset) return { ok: false, reason: 'format' };
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (
    !isCalendarDate(year, month, day) ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    return { ok: false, reason: 'format' };
  }
  const offset = (m[9] === '-' ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  const time = utcTime(year, month, day, hour, minute, second, ms) - offset;
  if (time < MIN_TIME || time > MAX_TIME) return { ok: false, reason: 'range' };
  return { ok: true, value: new Date(time) };
}

/** A date (its start, UTC) or a date-time, as a filter takes it. */
export function parseDateOrDateTime(value: string): ParsedDateTime {
  const m = DATE.exec(value);
  if (m) {
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!isCalendarDate(year, month, day)) return { ok: false, reason: 'format' };
    return { ok: true, value: new Date(utcTime(year, month, day)) };
  }
  return parseIsoDateTime(value, { offsetRequired: false });
}
