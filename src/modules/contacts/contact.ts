import { z } from 'zod';
import { RELATIONSHIP_TYPES } from '../../infra/db/schema.js';
import { isIsoDate } from '../../infra/http/datetime.js';

/** Where a contact came from in the uploaded file: its first line (vCard, CSV) and its position. */
export type ContactSource = { line: number; index: number };

/** One person as read from a vCard or a CSV row, before validation. Every field may be missing. */
export type ContactDraft = {
  source: ContactSource;
  name: string;
  emails: string[];
  phones: string[];
  company: string;
  /** As written in the file; see {@link parseBirthday}. */
  birthday: string;
  tags: string[];
  notes: string[];
  relationshipType?: string | undefined;
  howWeMet?: string | undefined;
  contactIntervalDays?: string | undefined;
  photo?: ContactPhoto | undefined;
};

/** PHOTO: inline bytes, or a link we do not follow (Google exports links to its own servers). */
export type ContactPhoto = { kind: 'inline'; bytes: Buffer } | { kind: 'url'; url: string };

/** What an import writes for one person: the relationship's fields, ready for the database. */
export type ContactValues = {
  name: string;
  relationshipType: (typeof RELATIONSHIP_TYPES)[number];
  email: string;
  /** Every email of the contact (lower-cased): matched against existing people. */
  emails: string[];
  phone: string;
  phones: string[];
  company: string;
  birthday: string | null;
  howWeMet: string;
  contactIntervalDays: number | null;
  tags: string[];
  /** Each becomes a MANUAL note of the person. */
  notes: string[];
};

export type Validated =
  | { ok: true; values: ContactValues; warnings: string[] }
  | { ok: false; reason: string };

/** Same limits as the relationships API (see relationships/schemas.ts). */
const LIMITS = {
  name: 255,
  email: 254,
  phone: 50,
  company: 255,
  howWeMet: 5000,
  note: 5000,
  tag: 50,
  tags: 50,
};
/** Year 0001 stands for "year unknown" (see the digest). */
export const UNKNOWN_YEAR = '0001';

const emailSchema = z.email();

/**
 * Birthdays as address books write them: `1985-04-12`, `19850412`, `1985-04-12T00:00:00Z`,
 * `--04-12` / `--0412` (no year: vCard 4, Google, Apple's X-APPLE-OMIT-YEAR once the vCard reader
 * has turned it into this), `4/12/1985` (Outlook CSV, month first). Outlook's `0/0/00` means none.
 * Returns `YYYY-MM-DD` with year 0001 when the year is unknown, '' for none, or undefined when the
 * text is not a date.
 */
export function parseBirthday(raw: string): string | undefined {
  const value = raw.trim();
  if (value === '' || /^0?0\/0?0\/0{2,4}$/.test(value)) return '';
  const full = /^(\d{4})-?(\d{2})-?(\d{2})(?:T[\d:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/.exec(value);
  const yearless = /^--(\d{2})-?(\d{2})$/.exec(value);
  const monthFirst = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(value);
  let date: string;
  if (full) date = `${full[1]}-${full[2]}-${full[3]}`;
  else if (yearless) date = `${UNKNOWN_YEAR}-${yearless[1]}-${yearless[2]}`;
  else if (monthFirst)
    date = `${monthFirst[3]}-${monthFirst[1]!.padStart(2, '0')}-${monthFirst[2]!.padStart(2, '0')}`;
  else return undefined;
  // 29 February without a year is a real birthday: check it against a leap year.
  const check = date.startsWith(`${UNKNOWN_YEAR}-`) ? `2000${date.slice(4)}` : date;
  return isIsoDate(check) ? date : undefined;
}

const clip = (value: string, max: number) => value.trim().slice(0, max);

/**
 * A draft → the values to write, or why the contact cannot be imported. A bad optional value
 * (an email that is not one, an impossible birthday) is dropped with a warning rather than losing
 * the person; a contact with nothing to call them by is refused.
 */
export function validateContact(draft: ContactDraft, phoneDisplay: (raw: string) => string): Validated {
  const warnings: string[] = [];
  const emails: string[] = [];
  for (const raw of draft.emails) {
    const email = raw.trim().toLowerCase();
    if (email === '') continue;
    if (email.length <= LIMITS.email && emailSchema.safeParse(email).success) {
      if (!emails.includes(email)) emails.push(email);
    } else warnings.push(`"${raw.slice(0, 80)}" is not a valid email address; left out.`);
  }
  const phones = [...new Set(draft.phones.map((p) => p.trim()).filter(Boolean))];
  const tooLong = phones.filter((p) => p.length > LIMITS.phone);
  for (const p of tooLong)
    warnings.push(`Phone "${p.slice(0, 80)}…" is longer than 50 characters; left out.`);
  const usablePhones = phones.filter((p) => p.length <= LIMITS.phone);

  const name = draft.name.trim() || draft.company.trim() || emails[0] || usablePhones[0] || '';
  if (name === '') return { ok: false, reason: 'The contact has no name, organisation, email or phone.' };
  if (name.length > LIMITS.name) warnings.push('The name is longer than 255 characters; shortened.');

  let birthday: string | null = null;
  if (draft.birthday.trim() !== '') {
    const parsed = parseBirthday(draft.birthday);
    if (parsed === undefined)
      warnings.push(`Birthday "${draft.birthday.slice(0, 40)}" is not a date; left out.`);
    else if (parsed === `${UNKNOWN_YEAR}-02-29`) {
      // Year 0001 ("unknown") is not a leap year, so the database has no such day; the digest
      // celebrates 29 February on the 28th in common years anyway.
      birthday = `${UNKNOWN_YEAR}-02-28`;
      warnings.push('Birthday 29 February without a year is stored as 28 February (year unknown).');
    } else birthday = parsed || null;
  }

  let relationshipType: ContactValues['relationshipType'] = 'OTHER';
  const type = draft.relationshipType?.trim().toUpperCase();
  if (type) {
    if ((RELATIONSHIP_TYPES as readonly string[]).includes(type))
      relationshipType = type as ContactValues['relationshipType'];
    else
      warnings.push(
        `Relationship type "${type.slice(0, 40)}" is not one of ${RELATIONSHIP_TYPES.join(', ')}; OTHER used.`,
      );
  }

  let contactIntervalDays: number | null = null;
  const interval = draft.contactIntervalDays?.trim();
  if (interval) {
    const n = Number(interval);
    if (Number.isInteger(n) && n >= 1 && n <= 3650) contactIntervalDays = n;
    else
      warnings.push(
        `Contact interval "${interval.slice(0, 20)}" is not a whole number of days from 1 to 3650; left out.`,
      );
  }

  const tags: string[] = [];
  for (const raw of draft.tags) {
    const tag = clip(raw, LIMITS.tag);
    if (tag && !tags.some((t) => t.toLowerCase() === tag.toLowerCase())) tags.push(tag);
  }
  if (tags.length > LIMITS.tags)
    warnings.push(`More than ${LIMITS.tags} tags; the first ${LIMITS.tags} kept.`);

  const notes: string[] = [];
  for (const raw of draft.notes) {
    const note = raw.replace(/\r\n?/g, '\n').trim();
    if (note === '' || notes.includes(note)) continue;
    if (note.length > LIMITS.note) warnings.push('A note is longer than 5,000 characters; shortened.');
    notes.push(note.slice(0, LIMITS.note));
  }

  return {
    ok: true,
    warnings,
    values: {
      name: clip(name, LIMITS.name),
      relationshipType,
      email: emails[0] ?? '',
      emails,
      phone: usablePhones[0] ? clip(phoneDisplay(usablePhones[0]), LIMITS.phone) : '',
      phones: usablePhones,
      company: clip(draft.company, LIMITS.company),
      birthday,
      howWeMet: clip(draft.howWeMet ?? '', LIMITS.howWeMet),
      contactIntervalDays,
      tags: tags.slice(0, LIMITS.tags),
      notes,
    },
  };
}
