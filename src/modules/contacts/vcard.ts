import ICAL from 'ical.js';
import type { ContactDraft, ContactPhoto } from './contact.js';
import { UNKNOWN_YEAR } from './contact.js';
import { ImportFileError, MAX_REPORTED_PROBLEMS } from './import-file.js';
import { decodeQuotedPrintableLines, upgradeVcard21 } from './vcard21.js';

/**
 * vCard files: any number of cards, versions 2.1, 3.0 and 4.0, as Google Contacts, Apple Contacts
 * and Outlook write them. ical.js (Mozilla) parses each card: unfolding, escapes, parameters,
 * structured values. This file only finds where each card starts and ends, so that a broken card
 * can be reported with its line number, and maps properties to a {@link ContactDraft}.
 */

type Line = { text: string; line: number };
type JCardProperty = [name: string, params: Record<string, unknown>, type: string, ...values: unknown[]];

/** Google's system groups, not labels the user made. */
const SYSTEM_GROUPS = new Set(['mycontacts', 'starred']);

/** Rapport's own properties, so that an export imports back without loss. */
export const X_TYPE = 'x-rapport-relationship-type';
export const X_HOW_WE_MET = 'x-rapport-how-we-met';
export const X_CONTACT_INTERVAL = 'x-rapport-contact-interval-days';

/** Every card of the file; throws ImportFileError (listing lines) if any card is malformed. */
export function parseVcards(text: string): ContactDraft[] {
  const problems: string[] = [];
  const drafts: ContactDraft[] = [];
  const physical = text.split(/\r\n|\n|\r/);
  let card: { begin: number; lines: Line[] } | undefined;
  for (let i = 0; i < physical.length && problems.length < MAX_REPORTED_PROBLEMS; i++) {
    const lineText = physical[i]!;
    const line = i + 1;
    if (card === undefined) {
      if (/^\s*BEGIN:VCARD\s*$/i.test(lineText)) card = { begin: line, lines: [] };
      else if (lineText.trim() !== '') problems.push(`Line ${line}: expected BEGIN:VCARD.`);
      continue;
    }
    if (/^\s*END:VCARD\s*$/i.test(lineText)) {
      const parsed = parseCard(card.lines, card.begin, drafts.length);
      if (typeof parsed === 'string') problems.push(parsed);
      else drafts.push(parsed);
      card = undefined;
    } else if (/^\s*BEGIN:VCARD\s*$/i.test(lineText)) {
      problems.push(`Line ${card.begin}: BEGIN:VCARD is not closed by END:VCARD before line ${line}.`);
      card = { begin: line, lines: [] };
    } else card.lines.push({ text: lineText, line });
  }
  if (card !== undefined && problems.length < MAX_REPORTED_PROBLEMS)
    problems.push(`Line ${card.begin}: BEGIN:VCARD is never closed by END:VCARD.`);
  if (problems.length > 0) throw new ImportFileError(problems);
  if (drafts.length === 0) throw new ImportFileError(['The file holds no vCard.']);
  return drafts;
}

/** One card → a draft, or a message naming the line ical.js could not read. */
function parseCard(lines: Line[], begin: number, index: number): ContactDraft | string {
  const version = lines
    .find((l) => /^VERSION:/i.test(l.text))
    ?.text.slice(8)
    .trim();
  const logical =
    version === '2.1'
      ? upgradeVcard21(lines)
      : lines.some((l) => /QUOTED-PRINTABLE/i.test(l.text))
        ? decodeQuotedPrintableLines(lines)
        : lines;
  const body = logical.map((l) => l.text).join('\r\n');
  let jcard: unknown;
  try {
    jcard = ICAL.parse(`BEGIN:VCARD\r\n${body}\r\nEND:VCARD\r\n`);
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/^ParserError:\s*/, '') : String(error);
    // ical.js quotes the offending line: find it to report its number.
    const quoted = [...message.matchAll(/"([^"]{3,})"|'([^']{3,})'/g)].at(-1)?.slice(1).find(Boolean);
    const culprit = quoted ? logical.find((l) => l.text.includes(quoted.slice(0, 40))) : undefined;
    return `Line ${culprit?.line ?? begin}: ${message}`;
  }
  const component = (Array.isArray((jcard as unknown[])[0]) ? (jcard as unknown[])[0] : jcard) as [
    string,
    JCardProperty[],
  ];
  return toDraft(component[1], { line: begin, index });
}

const strings = (values: unknown[]): string[] =>
  values
    .flatMap((v) => (Array.isArray(v) ? v : [v]))
    .map((v) => (v === null || v === undefined ? '' : String(v)));

/** `TYPE=pref` (3.0) or `PREF=1` (4.0): the preferred value comes first. */
function preferredFirst(properties: JCardProperty[]): JCardProperty[] {
  const rank = (p: JCardProperty) => {
    const types = [p[1].type].flat().map((t) => String(t).toLowerCase());
    if (types.includes('pref')) return 0;
    const pref = Number(p[1].pref);
    return Number.isFinite(pref) && pref > 0 ? pref / 1000 : 1;
  };
  return [...properties].sort((a, b) => rank(a) - rank(b));
}

function toDraft(properties: JCardProperty[], source: ContactDraft['source']): ContactDraft {
  const all = (name: string) => properties.filter((p) => p[0] === name);
  const first = (name: string) => {
    const p = all(name)[0];
    return p ? strings(p.slice(3)) : [];
  };

  // A text value with an unescaped comma (common in the wild) comes back from ical.js as several
  // values: joining them with the comma restores the text as written.
  let name = first('fn').join(',').trim();
  if (name === '') {
    // N is family;given;additional;prefix;suffix.
    const [family = '', given = '', additional = '', prefix = '', suffix = ''] = first('n');
    name = [prefix, given, additional, family, suffix].join(' ').replace(/\s+/g, ' ').trim();
  }

  const bdayProperty = all('bday')[0];
  let birthday = bdayProperty ? (strings(bdayProperty.slice(3))[0]?.trim() ?? '') : '';
  // Apple writes a birthday without a year as 1604-MM-DD with X-APPLE-OMIT-YEAR=1604.
  const omitYear = bdayProperty?.[1]['x-apple-omit-year'];
  if (omitYear !== undefined && birthday.startsWith(`${String(omitYear)}-`))
    birthday = `--${birthday.slice(5)}`;
  if (birthday.startsWith(`${UNKNOWN_YEAR}-`)) birthday = `--${birthday.slice(5)}`;

  const tags = all('categories')
    .flatMap((p) => strings(p.slice(3)))
    .map((t) => t.replace(/^\*\s*/, '').trim())
    .filter((t) => t !== '' && !SYSTEM_GROUPS.has(t.toLowerCase()));

  return {
    source,
    name,
    emails: preferredFirst(all('email')).flatMap((p) => strings(p.slice(3))),
    phones: preferredFirst(all('tel'))
      .flatMap((p) => strings(p.slice(3)))
      .map((t) => t.replace(/^tel:/i, '')),
    // ORG is organisation;unit;…: the organisation.
    company: first('org')[0] ?? '',
    birthday,
    tags,
    notes: all('note').map((p) => strings(p.slice(3)).join(',')),
    relationshipType: first(X_TYPE)[0],
    howWeMet: first(X_HOW_WE_MET)[0]
      ?.replace(/\\n/gi, '\n')
      .replace(/\\([,;\\])/g, '$1'),
    contactIntervalDays: first(X_CONTACT_INTERVAL)[0],
    photo: readPhoto(all('photo')[0]),
  };
}

function readPhoto(property: JCardProperty | undefined): ContactPhoto | undefined {
  if (!property) return undefined;
  const value = strings(property.slice(3)).join('').trim();
  if (value === '') return undefined;
  const encoding = String(property[1].encoding ?? '').toLowerCase();
  if (encoding === 'b' || encoding === 'base64')
    return { kind: 'inline', bytes: Buffer.from(value, 'base64') };
  const dataUri = /^data:[^,]*;base64,(.*)$/is.exec(value);
  if (dataUri) return { kind: 'inline', bytes: Buffer.from(dataUri[1]!, 'base64') };
  return { kind: 'url', url: value.slice(0, 200) };
}

/** What a vCard export writes for one person. */
export type VcardPerson = {
  name: string;
  email: string;
  phone: string;
  company: string;
  birthday: string | null;
  tags: string[];
  notes: string[];
  relationshipType: string;
  howWeMet: string;
  contactIntervalDays: number | null;
};

/** One vCard 3.0 (the version every address book imports), CRLF line ends, folded by ical.js. */
export function toVcard(person: VcardPerson): string {
  const card = new ICAL.Component('vcard');
  card.addPropertyWithValue('version', '3.0');
  card.addPropertyWithValue('fn', person.name);
  // Rapport keeps one name; N is required by 3.0 and address books split it themselves.
  const n = new ICAL.Property('n');
  n.setValue(['', person.name, '', '', ''] as unknown as string);
  card.addProperty(n);
  if (person.email) {
    const email = new ICAL.Property('email');
    email.setParameter('type', 'INTERNET');
    email.setValue(person.email);
    card.addProperty(email);
  }
  if (person.phone) card.addPropertyWithValue('tel', person.phone);
  if (person.company) {
    // ORG is structured (organisation;unit): one part, so a `;` in the name is escaped.
    const org = new ICAL.Property('org');
    org.setValue([person.company] as unknown as string);
    card.addProperty(org);
  }
  if (person.birthday) {
    card.addPropertyWithValue(
      'bday',
      person.birthday.startsWith(`${UNKNOWN_YEAR}-`) ? `--${person.birthday.slice(5)}` : person.birthday,
    );
  }
  if (person.tags.length > 0) {
    const categories = new ICAL.Property('categories');
    categories.setValues(person.tags);
    card.addProperty(categories);
  }
  for (const note of person.notes) card.addPropertyWithValue('note', note);
  card.addPropertyWithValue(X_TYPE, person.relationshipType);
  if (person.howWeMet) {
    // An x- property is not text to ical.js, so it escapes nothing: do what 3.0 does for text.
    card.addPropertyWithValue(
      X_HOW_WE_MET,
      person.howWeMet
        .replace(/\\/g, '\\\\')
        .replace(/[,;]/g, '\\$&')
        .replace(/\r\n|\r|\n/g, '\\n'),
    );
  }
  if (person.contactIntervalDays !== null)
    card.addPropertyWithValue(X_CONTACT_INTERVAL, String(person.contactIntervalDays));
  return `${card.toString()}\r\n`;
}
