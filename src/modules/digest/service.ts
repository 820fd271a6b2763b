import type { AppConfig } from '../../infra/config/config.js';
import type { DigestRepository, PersonSummary } from './repository.js';

const DAY_MS = 24 * 3600 * 1000;
/** At most this many people in each part of the digest. */
const LIMIT = 50;

export type Digest = {
  birthdays: {
    person: PersonSummary;
    birthday: string;
    date: string;
    daysUntil: number;
    turning: number | null;
  }[];
  dueToContact: {
    person: PersonSummary;
    intervalDays: number;
    lastContactAt: Date | null;
    daysOverdue: number;
  }[];
};

const utcDay = (d: Date) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());

/** The next date (today included) of a birthday; 29 February is celebrated on the 28th in other years. */
export function nextBirthday(birthday: string, today: Date): { date: Date; year: number } {
  const [, month, day] = birthday.split('-').map(Number) as [number, number, number];
  const on = (year: number) => {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return new Date(Date.UTC(year, month - 1, month === 2 && day === 29 && !leap ? 28 : day));
  };
  const year = today.getUTCFullYear();
  const thisYear = on(year);
  return thisYear.getTime() >= utcDay(today)
    ? { date: thisYear, year }
    : { date: on(year + 1), year: year + 1 };
}

/** Upcoming birthdays and people the user is due to get in touch with. */
export class DigestService {
  constructor(
    private readonly repo: DigestRepository,
    private readonly config: AppConfig['digest'],
  ) {}

  async forUser(userId: number, now = new Date()): Promise<Digest> {
    const [people, due] = await Promise.all([
      this.repo.withBirthdays(userId),
      this.repo.dueToContact(userId, this.config.contactIntervalDays, now, LIMIT),
    ]);
    const birthdays = people
      .map(({ birthday, ...person }) => {
        const next = nextBirthday(birthday, now);
        const daysUntil = Math.round((next.date.getTime() - utcDay(now)) / DAY_MS);
        const born = Number(birthday.slice(0, 4));
        // Year 1 is what contact apps store for "year unknown" (`--MM-DD` in vCard).
        const turning = born > 1 ? next.year - born : null;
        return { person, birthday, date: next.date.toISOString().slice(0, 10), daysUntil, turning };
      })
      .filter((b) => b.daysUntil <= this.config.birthdayDays)
      .sort((a, b) => a.daysUntil - b.daysUntil || a.person.name.localeCompare(b.person.name))
      .slice(0, LIMIT);
    return {
      birthdays,
      dueToContact: due.map(({ intervalDays, lastContactAt, since, ...person }) => ({
        person,
        intervalDays,
        lastContactAt,
        daysOverdue: Math.floor((now.getTime() - since.getTime()) / DAY_MS) - intervalDays,
      })),
    };
  }
}
