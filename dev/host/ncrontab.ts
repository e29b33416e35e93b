// NCRONTAB expressions as Azure Functions timer triggers use them: six fields, seconds first
// (`{second} {minute} {hour} {day} {month} {day-of-week}`), each `*`, a value, a range `a-b`, a step
// `*/n` or `a-b/n`, or a comma list of those; month and day names (Jan, Mon) allowed; Sunday is 0 (or 7).
// Like NCrontab, a time matches when every field matches (day and day-of-week together). Times are UTC.

export class NcrontabError extends Error {
  constructor(expression: string, detail: string) {
    super(`TIMER.INVALID_SCHEDULE: "${expression}": ${detail}`);
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export interface Schedule {
  readonly expression: string;
  /** The first matching time strictly after `after` (whole seconds, UTC). */
  next(after: Date): Date;
}

export function parseNcrontab(expression: string): Schedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new NcrontabError(
      expression,
      `expected 6 fields (second minute hour day month day-of-week), got ${parts.length}`,
    );
  }
  const sets = FIELDS.map((spec, i) => parseField(expression, parts[i] ?? '', spec));
  const [seconds, minutes, hours, days, months, weekdays] = sets as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekdays.has(7)) weekdays.add(0);
  return {
    expression,
    next(after: Date): Date {
      const t = new Date(Math.floor(after.getTime() / 1000) * 1000 + 1000);
      // Bounded: a schedule that never matches (e.g. Feb 30) ends the search after ~5 years.
      const limit = after.getTime() + 5 * 366 * 24 * 3600 * 1000;
      while (t.getTime() <= limit) {
        if (!months.has(t.getUTCMonth() + 1)) {
          t.setUTCMonth(t.getUTCMonth() + 1, 1);
          t.setUTCHours(0, 0, 0);
          continue;
        }
        if (!days.has(t.getUTCDate()) || !weekdays.has(t.getUTCDay())) {
          t.setUTCDate(t.getUTCDate() + 1);
          t.setUTCHours(0, 0, 0);
          continue;
        }
        if (!hours.has(t.getUTCHours())) {
          t.setUTCHours(t.getUTCHours() + 1, 0, 0);
          continue;
        }
        if (!minutes.has(t.getUTCMinutes())) {
          t.setUTCMinutes(t.getUTCMinutes() + 1, 0);
          continue;
        }
        if (!seconds.has(t.getUTCSeconds())) {
          t.setUTCSeconds(t.getUTCSeconds() + 1);
          continue;
        }
        return t;
      }
      throw new NcrontabError(expression, 'never matches a real date');
    },
  };
}

function parseField(expression: string, text: string, spec: FieldSpec): Set<number> {
  const out = new Set<number>();
  for (const item of text.split(',')) {
    const [rangeText, stepText, extra] = item.split('/');
    if (extra !== undefined || rangeText === undefined || rangeText === '') {
      throw new NcrontabError(expression, `${spec.name} field "${text}" is malformed`);
    }
    let step = 1;
    if (stepText !== undefined) {
      step = parseNumber(expression, stepText, spec, 'step');
      if (step < 1) throw new NcrontabError(expression, `${spec.name} step must be at least 1`);
    }
    let from: number;
    let to: number;
    if (rangeText === '*') {
      from = spec.min;
      to = spec.name === 'day-of-week' ? 6 : spec.max;
    } else {
      const [a, b, more] = rangeText.split('-');
      if (more !== undefined || a === undefined) {
        throw new NcrontabError(expression, `${spec.name} field "${text}" is malformed`);
      }
      from = parseValue(expression, a, spec);
      to = b === undefined ? (stepText !== undefined ? spec.max : from) : parseValue(expression, b, spec);
      if (to < from) throw new NcrontabError(expression, `${spec.name} range ${rangeText} runs backwards`);
    }
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

function parseValue(expression: string, text: string, spec: FieldSpec): number {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (spec.name === 'month' ? 1 : 0);
  const n = parseNumber(expression, text, spec, 'value');
  if (n < spec.min || n > spec.max) {
    throw new NcrontabError(expression, `${spec.name} value ${n} is outside ${spec.min}-${spec.max}`);
  }
  return n;
}

function parseNumber(expression: string, text: string, spec: FieldSpec, what: string): number {
  if (!/^\d+$/.test(text))
    throw new NcrontabError(expression, `${spec.name} ${what} "${text}" is not a number`);
  return Number(text);
}
