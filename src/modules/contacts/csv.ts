import { CsvError, parse } from 'csv-parse/sync';
import type { ContactDraft } from './contact.js';
import { ImportFileError } from './import-file.js';

/**
 * CSV address books. The first line names the columns; Google Contacts' and Outlook's column names
 * are recognised, and so are Rapport's own (what the CSV export writes), compared without case,
 * spaces or punctuation (`E-mail Address` = `email address` = `emailaddress`). See the README for
 * the table. Cells holding several values use Google's ` ::: ` or `;` between them.
 */

type Field =
  | 'name'
  | 'first'
  | 'middle'
  | 'last'
  | 'email'
  | 'phone'
  | 'company'
  | 'birthday'
  | 'notes'
  | 'tags'
  | 'relationshipType'
  | 'howWeMet'
  | 'contactIntervalDays'
  | 'photo';

const EXACT: Record<string, Field> = {
  name: 'name',
  fullname: 'name',
  displayname: 'name',
  firstname: 'first',
  givenname: 'first',
  middlename: 'middle',
  additionalname: 'middle',
  lastname: 'last',
  familyname: 'last',
  surname: 'last',
  email: 'email',
  emailaddress: 'email',
  primaryemail: 'email',
  phone: 'phone',
  phonenumber: 'phone',
  primaryphone: 'phone',
  mobile: 'phone',
  mobilephone: 'phone',
  homephone: 'phone',
  businessphone: 'phone',
  otherphone: 'phone',
  carphone: 'phone',
  company: 'company',
  organization: 'company',
  organisation: 'company',
  organizationname: 'company',
  birthday: 'birthday',
  birthdate: 'birthday',
  dateofbirth: 'birthday',
  notes: 'notes',
  note: 'notes',
  tags: 'tags',
  labels: 'tags',
  categories: 'tags',
  groupmembership: 'tags',
  relationshiptype: 'relationshipType',
  howwemet: 'howWeMet',
  contactintervaldays: 'contactIntervalDays',
  photo: 'photo',
};

/** Numbered columns: Google's `E-mail 2 - Value`, `Phone 1 - Value`, `Organization 1 - Name`; Outlook's `E-mail 2 Address`, `Home Phone 2`. */
const PATTERNS: [RegExp, Field][] = [
  [/^email\d+(value|address)$/, 'email'],
  [/^phone\d+value$/, 'phone'],
  [/^(home|business|mobile|other)phone\d+$/, 'phone'],
  [/^organization\d+name$/, 'company'],
];

export function normaliseHeader(header: string): string {
  return header.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

function fieldOf(header: string): Field | undefined {
  const key = normaliseHeader(header);
  return EXACT[key] ?? PATTERNS.find(([re]) => re.test(key))?.[1];
}

/** Phone columns in the order their number becomes the person's phone (primary, then mobile…). */
function phoneRank(header: string): number {
  const key = normaliseHeader(header);
  const order = ['primaryphone', 'phone', 'phonenumber', 'phone1value', 'mobilephone', 'mobile'];
  const i = order.indexOf(key);
  return i < 0 ? order.length : i;
}

const splitValues = (cell: string) =>
  cell
    .split(/\s*:::\s*|;/)
    .map((v) => v.trim())
    .filter(Boolean);

/** `,`, `;` (Outlook in many European locales) or tab: whichever the header line has most of. */
function sniffDelimiter(text: string): string {
  const header = text.slice(0, text.search(/\r|\n/) >>> 0 || text.length);
  const counts = [',', ';', '\t'].map((d) => [d, header.split(d).length] as const);
  return counts.sort((a, b) => b[1] - a[1])[0]![0];
}

type Record_ = { record: string[]; info: { bytes: number } };

/**
 * Line numbers of records: csv-parse reports where each record ends (in bytes, delimiter
 * included); a record starts on the first non-blank line after the previous one ends.
 */
class LineCounter {
  private offset = 0;
  private line = 1;
  constructor(private readonly bytes: Buffer) {}

  private advance(to: number): void {
    for (let i = this.offset; i < to; i++) if (this.bytes[i] === 0x0a) this.line++;
    this.offset = Math.max(this.offset, to);
  }

  /** The line the next record starts on, after the one that ended at `previousEnd`. */
  nextStart(previousEnd: number): number {
    this.advance(previousEnd);
    let start = this.offset;
    while (start < this.bytes.length && (this.bytes[start] === 0x0d || this.bytes[start] === 0x0a)) start++;
    this.advance(start);
    return this.line;
  }
}

export function parseCsv(text: string): ContactDraft[] {
  const bytes = Buffer.from(text, 'utf8');
  let rows: Record_[];
  let lastRecordEnd = 0;
  try {
    rows = parse(bytes, {
      delimiter: sniffDelimiter(text),
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      trim: true,
      info: true,
      on_record: (record, context) => {
        lastRecordEnd = context.bytes;
        return record;
      },
    }) as unknown as Record_[];
  } catch (error) {
    if (error instanceof CsvError) {
      // An unclosed quote is found at the end of the file; the record it broke starts after the last good one.
      const line =
        error.code === 'CSV_QUOTE_NOT_CLOSED'
          ? new LineCounter(bytes).nextStart(lastRecordEnd)
          : (error as CsvError & { lines?: number }).lines;
      throw new ImportFileError([
        `${line ? `Line ${line}: ` : ''}${error.message.replace(/ at line \d+$/, '')}`,
      ]);
    }
    throw error;
  }
  const [header, ...records] = rows;
  if (!header) throw new ImportFileError(['The file is empty.']);
  const fields = header.record.map(fieldOf);
  if (!fields.some((f) => f === 'name' || f === 'first' || f === 'last' || f === 'email' || f === 'phone')) {
    throw new ImportFileError([
      `Line 1: none of the columns (${header.record.slice(0, 8).join(', ').slice(0, 200)}) is a name, email or phone column Rapport knows; see the README for the column names.`,
    ]);
  }
  const phoneColumns = fields
    .map((f, i) => (f === 'phone' ? i : -1))
    .filter((i) => i >= 0)
    .sort((a, b) => phoneRank(header.record[a]!) - phoneRank(header.record[b]!));

  const lines = new LineCounter(bytes);
  let previousEnd = header.info.bytes;
  return records.map(({ record, info }, index) => {
    const line = lines.nextStart(previousEnd);
    previousEnd = info.bytes;
    const cells = (field: Field) => fields.flatMap((f, i) => (f === field && record[i] ? [record[i]] : []));
    const one = (field: Field) => cells(field)[0] ?? '';
    const fullName = one('name') || [one('first'), one('middle'), one('last')].filter(Boolean).join(' ');
    const photo = one('photo');
    return {
      source: { line, index },
      name: fullName,
      emails: cells('email').flatMap(splitValues),
      phones: phoneColumns.flatMap((i) => (record[i] ? splitValues(record[i]) : [])),
      company: one('company'),
      birthday: one('birthday'),
      // Google prefixes system groups with `* ` (`* myContacts`, `* starred`): not the user's labels.
      tags: cells('tags')
        .flatMap(splitValues)
        .filter((t) => !t.startsWith('*')),
      notes: cells('notes'),
      relationshipType: one('relationshipType') || undefined,
      howWeMet: one('howWeMet') || undefined,
      contactIntervalDays: one('contactIntervalDays') || undefined,
      photo: /^https?:\/\//i.test(photo) ? { kind: 'url' as const, url: photo.slice(0, 200) } : undefined,
    };
  });
}

/** The columns of Rapport's CSV export, which its import reads back. */
export const EXPORT_COLUMNS = [
  'name',
  'relationship_type',
  'email',
  'phone',
  'company',
  'birthday',
  'tags',
  'how_we_met',
  'contact_interval_days',
  'notes',
] as const;
