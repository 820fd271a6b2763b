import { Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { type ContactDraft, type ContactValues, UNKNOWN_YEAR, validateContact } from './contact.js';
import { EXPORT_COLUMNS, parseCsv } from './csv.js';
import { decodeText, sniffFormat } from './import-file.js';
import { PhoneNormaliser } from './phone.js';
import {
  type ContactsRepository,
  type ExportPerson,
  type ImportBatch,
  noteDigest,
  type PersonRow,
  type PersonValues,
} from './repository.js';
import { parseVcards, toVcard } from './vcard.js';

/**
 * Enrols a face for a person from a photo. The face engine provides it (the signatures module);
 * it throws an error whose message says why a photo was refused (no face, several faces…).
 */
export type FaceEnroller = {
  enrolFace(userId: number, relationshipId: number, image: Buffer): Promise<unknown>;
};

export type ImportProblem = { line: number; index: number; reason: string };
export type PhotoOutcome = {
  line: number;
  index: number;
  relationship: number | null;
  enrolled: boolean;
  reason: string | null;
};
export type ImportReport = {
  format: 'vcard' | 'csv';
  dry_run: boolean;
  created: number;
  updated: number;
  skipped: number;
  errors: ImportProblem[];
  warnings: ImportProblem[];
  photos: PhotoOutcome[];
};

export type ImportOptions = { dryRun: boolean };

/** A person as the import sees them: in the database already, or to be created by it. */
type Person = { id: number; values: PersonValues; notes: Set<string>; isNew: boolean };

/** What one contact of the file does. */
type Step =
  | { kind: 'create'; person: Person; notes: string[] }
  | { kind: 'update'; person: Person; changes: Partial<PersonValues>; notes: string[] }
  | { kind: 'unchanged'; person: Person };

export type ExportFormat = 'vcf' | 'csv';

export class ContactsService {
  private readonly phones: PhoneNormaliser;

  constructor(
    private readonly repo: ContactsRepository,
    private readonly options: {
      batchSize: number;
      phoneDefaultCountry: string | undefined;
      /** Absent until a face engine is wired in: photos are then reported as not enrolled. */
      faceEnroller?: FaceEnroller | undefined;
    },
  ) {
    this.phones = new PhoneNormaliser(options.phoneDefaultCountry);
  }

  /** Reads the whole file first (a malformed file throws ImportFileError, nothing written), then imports in batches. */
  async import(userId: number, bytes: Buffer, { dryRun }: ImportOptions): Promise<ImportReport> {
    const text = decodeText(bytes);
    const format = sniffFormat(text);
    const drafts = format === 'vcard' ? parseVcards(text) : parseCsv(text);

    const report: ImportReport = {
      format,
      dry_run: dryRun,
      created: 0,
      updated: 0,
      skipped: 0,
      errors: [],
      warnings: [],
      photos: [],
    };
    const index = new PeopleIndex(this.phones);
    const digests = await this.repo.noteDigests(userId);
    for (const row of await this.repo.people(userId)) index.add(toPerson(row, digests.get(row.id)));
    // Ids of people a dry run "creates": negative, never written.
    let dryRunId = 0;

    for (let start = 0; start < drafts.length; start += this.options.batchSize) {
      const slice = drafts.slice(start, start + this.options.batchSize);
      const steps: { draft: ContactDraft; step: Step }[] = [];
      const newPeople: Person[] = [];
      for (const draft of slice) {
        const where = { line: draft.source.line, index: draft.source.index };
        const validated = validateContact(draft, (raw) => this.phones.display(raw));
        if (!validated.ok) {
          report.errors.push({ ...where, reason: validated.reason });
          continue;
        }
        for (const reason of validated.warnings) report.warnings.push({ ...where, reason });
        const step = this.plan(index, validated.values);
        if (step.kind === 'create') newPeople.push(step.person);
        steps.push({ draft, step });
      }

      const ids = dryRun ? newPeople.map(() => --dryRunId) : await this.repo.reserveIds(newPeople.length);
      newPeople.forEach((person, i) => {
        person.id = ids[i]!;
      });
      const batch = toBatch(steps.map((s) => s.step));
      if (!dryRun) await this.repo.writeBatch(userId, batch);
      // From the next batch on, changes to these people are updates of stored rows.
      for (const person of newPeople) person.isNew = false;

      for (const { draft, step } of steps) {
        if (step.kind === 'create') report.created++;
        else if (step.kind === 'update') report.updated++;
        else report.skipped++;
        if (draft.photo) report.photos.push(await this.enrolPhoto(userId, draft, step.person.id, dryRun));
      }
    }
    return report;
  }

  /** Creates the person, or merges into the one they match by email or phone. */
  private plan(index: PeopleIndex, values: ContactValues): Step {
    const match = index.find(values);
    if (!match) {
      const person: Person = {
        id: 0,
        values: personValues(values),
        notes: new Set(values.notes.map(noteDigest)),
        isNew: true,
      };
      index.add(person, values);
      return { kind: 'create', person, notes: values.notes };
    }
    const changes = fillIn(match.values, values);
    Object.assign(match.values, changes);
    index.add(match, values);
    const notes = values.notes.filter((n) => !match.notes.has(noteDigest(n)));
    for (const n of notes) match.notes.add(noteDigest(n));
    if (Object.keys(changes).length === 0 && notes.length === 0) return { kind: 'unchanged', person: match };
    return { kind: 'update', person: match, changes, notes };
  }

  private async enrolPhoto(
    userId: number,
    draft: ContactDraft,
    relationshipId: number,
    dryRun: boolean,
  ): Promise<PhotoOutcome> {
    const outcome = (enrolled: boolean, reason: string | null): PhotoOutcome => ({
      line: draft.source.line,
      index: draft.source.index,
      relationship: dryRun ? null : relationshipId,
      enrolled,
      reason,
    });
    const photo = draft.photo!;
    if (photo.kind === 'url')
      return outcome(false, `The photo is a link (${photo.url}); Rapport does not download photos.`);
    if (dryRun) return outcome(false, 'Dry run: nothing enrolled.');
    const enroller = this.options.faceEnroller;
    if (!enroller) return outcome(false, 'Face enrolment is not available on this server (no face engine).');
    try {
      await enroller.enrolFace(userId, relationshipId, photo.bytes);
      return outcome(true, null);
    } catch (error) {
      return outcome(false, faceErrorReason(error));
    }
  }

  /** The user's people as vCard 3.0 or CSV text, streamed page by page. */
  export(userId: number, format: ExportFormat): Readable {
    const pages = this.repo.exportPeople(userId);
    if (format === 'vcf') {
      return Readable.from(
        (async function* () {
          for await (const page of pages) yield page.map((p) => toVcard(vcardPerson(p))).join('');
        })(),
      );
    }
    const rows = Readable.from(
      (async function* () {
        for await (const page of pages) for (const p of page) yield csvRow(p);
      })(),
    );
    // A byte-order mark so that spreadsheet programs read UTF-8; the import skips it.
    const csv = stringify({
      header: true,
      columns: [...EXPORT_COLUMNS],
      bom: true,
      record_delimiter: 'windows',
    });
    rows.on('error', (error) => csv.destroy(error));
    return rows.pipe(csv);
  }
}

/** The message of a face-enrolment error (the API's field errors, or a plain error). */
function faceErrorReason(error: unknown): string {
  const body = (error as { body?: Record<string, unknown> }).body;
  if (body) {
    const messages = Object.values(body)
      .flatMap((v) => (Array.isArray(v) ? v : [v]))
      .map(String);
    if (messages.length > 0) return messages.join(' ');
  }
  return error instanceof Error ? error.message : String(error);
}

function personValues(v: ContactValues): PersonValues {
  return {
    name: v.name,
    relationshipType: v.relationshipType,
    email: v.email,
    phone: v.phone,
    company: v.company,
    birthday: v.birthday,
    howWeMet: v.howWeMet,
    tags: v.tags,
    contactIntervalDays: v.contactIntervalDays,
  };
}

function toPerson(row: PersonRow, notes: Set<string> | undefined): Person {
  const { id, ...values } = row;
  return { id, values, notes: notes ?? new Set(), isNew: false };
}

/**
 * An update never overwrites: it fills in what the person lacks (email, phone, company, birthday,
 * how we met, interval, a type other than OTHER) and adds tags they do not have.
 */
function fillIn(current: PersonValues, incoming: ContactValues): Partial<PersonValues> {
  const changes: Partial<PersonValues> = {};
  if (!current.email && incoming.email) changes.email = incoming.email;
  if (!current.phone && incoming.phone) changes.phone = incoming.phone;
  if (!current.company && incoming.company) changes.company = incoming.company;
  if (!current.birthday && incoming.birthday) changes.birthday = incoming.birthday;
  if (!current.howWeMet && incoming.howWeMet) changes.howWeMet = incoming.howWeMet;
  if (current.contactIntervalDays === null && incoming.contactIntervalDays !== null)
    changes.contactIntervalDays = incoming.contactIntervalDays;
  if (current.relationshipType === 'OTHER' && incoming.relationshipType !== 'OTHER')
    changes.relationshipType = incoming.relationshipType;
  const have = new Set(current.tags.map((t) => t.toLowerCase()));
  const added = incoming.tags.filter((t) => !have.has(t.toLowerCase()));
  if (added.length > 0) changes.tags = [...current.tags, ...added].slice(0, 50);
  if (changes.tags && changes.tags.length === current.tags.length) delete changes.tags;
  return changes;
}

function toBatch(steps: Step[]): ImportBatch {
  const batch: ImportBatch = { creates: [], updates: [], notes: [] };
  // Several lines of one batch may update the same person: one UPDATE with all their changes.
  const updates = new Map<number, Partial<PersonValues>>();
  for (const step of steps) {
    if (step.kind === 'create') batch.creates.push({ id: step.person.id, values: step.person.values });
    if (step.kind === 'update' && !step.person.isNew) {
      updates.set(step.person.id, { ...updates.get(step.person.id), ...step.changes });
    }
    if (step.kind !== 'unchanged') {
      for (const text of step.notes) batch.notes.push({ relationshipId: step.person.id, text });
    }
  }
  // A person created in this batch is inserted with the values merged so far (the same object).
  for (const [id, values] of updates) if (Object.keys(values).length > 0) batch.updates.push({ id, values });
  return batch;
}

/** People by normalised email and phone; the first person with a key keeps it. */
class PeopleIndex {
  private readonly byKey = new Map<string, Person>();
  constructor(private readonly phones: PhoneNormaliser) {}

  private keys(emails: string[], phones: string[]): string[] {
    return [
      ...emails.map((e) => `e:${e.trim().toLowerCase()}`),
      ...phones.map((p) => this.phones.key(p)).flatMap((k) => (k ? [`p:${k}`] : [])),
    ].filter((k) => k !== 'e:');
  }

  add(person: Person, incoming?: ContactValues): void {
    const keys = this.keys(
      [person.values.email, ...(incoming?.emails ?? [])],
      [person.values.phone, ...(incoming?.phones ?? [])],
    );
    for (const key of keys) if (!this.byKey.has(key)) this.byKey.set(key, person);
  }

  find(values: ContactValues): Person | undefined {
    for (const key of this.keys(values.emails, values.phones)) {
      const person = this.byKey.get(key);
      if (person) return person;
    }
    return undefined;
  }
}

function vcardPerson(p: ExportPerson) {
  return {
    name: p.name,
    email: p.email,
    phone: p.phone,
    company: p.company,
    birthday: p.birthday,
    tags: p.tags,
    notes: p.notes,
    relationshipType: p.relationshipType,
    howWeMet: p.howWeMet,
    contactIntervalDays: p.contactIntervalDays,
  };
}

function csvRow(p: ExportPerson): Record<(typeof EXPORT_COLUMNS)[number], string> {
  return {
    name: p.name,
    relationship_type: p.relationshipType,
    email: p.email,
    phone: p.phone,
    company: p.company,
    birthday: p.birthday?.startsWith(`${UNKNOWN_YEAR}-`) ? `--${p.birthday.slice(5)}` : (p.birthday ?? ''),
    tags: p.tags.join('; '),
    how_we_met: p.howWeMet,
    contact_interval_days: p.contactIntervalDays === null ? '' : String(p.contactIntervalDays),
    notes: p.notes.join('\n\n'),
  };
}
