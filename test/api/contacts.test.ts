import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContactsRepository } from '../../src/modules/contacts/repository.js';
import { ContactsService } from '../../src/modules/contacts/service.js';
import { type Client, createTestContext, type TestContext } from '../helpers/app.js';
import { allPeople, contactsFixture, importFile } from '../helpers/contacts.js';
import { FIXTURES } from '../helpers/fixtures.js';

/**
 * vCard and CSV import and export on the real database, with address books in the shapes Google
 * Contacts, Apple Contacts and Outlook write (test/fixtures/contacts/). Batches of 2 contacts, so
 * that every file spans several transactions and duplicates fall in different batches.
 */

type User = Client & { userId: number; username: string };

let ctx: TestContext;
const MAX_BYTES = 100_000;

beforeAll(async () => {
  ctx = await createTestContext({ IMPORT_BATCH_SIZE: '2', IMPORT_MAX_BYTES: String(MAX_BYTES) });
});
afterAll(() => ctx?.close());

const byName = (people: Record<string, unknown>[], name: string) => {
  const found = people.filter((p) => p.name === name);
  expect(found, `exactly one "${name}" in ${people.map((p) => p.name).join(', ')}`).toHaveLength(1);
  return found[0] as Record<string, any>;
};

async function notesOf(user: Client, relationshipId: number): Promise<{ text: string; source: string }[]> {
  const res = await user.get(`/api/relationships/${relationshipId}/notes/?page_size=200`);
  expect(res.status).toBe(200);
  return res.body.results;
}

async function ok(user: User, file: string, query = '') {
  const res = await importFile(ctx, user, contactsFixture(file), file, query);
  expect(res.status, res.raw).toBe(200);
  return res.body;
}

describe('vCard import', () => {
  it('Google Contacts (3.0): unicode, folded lines, escapes, year-less birthdays, labels, a duplicate person', async () => {
    const user = await ctx.signUp();
    const report = await ok(user, 'google.vcf');
    // Five cards: the fourth is José again (same email, other case) and only adds a note.
    expect(report).toMatchObject({ format: 'vcard', dry_run: false, created: 4, updated: 1, skipped: 0 });
    expect(report.errors).toEqual([]);
    const people = await allPeople(user);
    expect(people).toHaveLength(4);

    const jose = byName(people, 'José Álvarez');
    expect(jose).toMatchObject({
      email: 'jose.alvarez@example.com',
      phone: '+34 612 34 56 78',
      company: 'Acme Ibérica',
      birthday: '1985-04-12',
      tags: ['Friends'],
      relationship_type: 'OTHER',
    });
    const notes = await notesOf(user, jose.id);
    expect(notes.map((n) => n.text).sort()).toEqual([
      'Met at the Madrid meetup.\nLikes paella, and chess.',
      'Prefers WhatsApp.',
    ]);
    expect(notes.every((n) => n.source === 'MANUAL')).toBe(true);

    expect(byName(people, '王小明')).toMatchObject({
      phone: '+86 138 0013 8000',
      birthday: '0001-07-21',
      tags: [],
    });
    const zoe = byName(people, "Zoë O'Brien-Müller");
    expect(zoe).toMatchObject({ company: 'Société Générale', tags: ['Family'] });
    expect((await notesOf(user, zoe.id))[0]!.text).toContain('seventy-five octets');
    // No name at all: the email names them.
    byName(people, 'only-an-email@example.net');

    // Google links photos to its servers: never downloaded, and the report says so.
    expect(report.photos).toEqual([
      {
        line: 1,
        index: 0,
        relationship: jose.id,
        enrolled: false,
        reason: expect.stringMatching(/is a link .*does not download/),
      },
    ]);
  });

  it('Apple Contacts (3.0): item1.EMAIL with X-ABLabel, X-APPLE-OMIT-YEAR, a company card, base64 PHOTO', async () => {
    const user = await ctx.signUp();
    const report = await ok(user, 'apple.vcf');
    expect(report).toMatchObject({ created: 3, updated: 0, skipped: 0, errors: [] });
    expect(report.warnings).toEqual([
      {
        line: 616,
        index: 1,
        reason: 'Birthday 29 February without a year is stored as 28 February (year unknown).',
      },
    ]);
    const people = await allPeople(user);
    const obama = byName(people, 'Barack Obama');
    // The preferred number first; a US number without +1 has no country, so it is kept as typed.
    expect(obama).toMatchObject({
      email: 'barack@example.gov',
      phone: '(202) 456-1111',
      company: 'Office of the President',
      birthday: '1961-08-04',
    });
    expect(byName(people, 'Åsa Ångström')).toMatchObject({ birthday: '0001-02-28', email: 'asa@example.se' });
    expect(byName(people, "Joe's Pizza")).toMatchObject({ phone: '+1 212 555 0100', company: "Joe's Pizza" });
    // The face engine enrols the real photo (Obama) and reports the one that is not an image.
    expect(report.photos).toEqual([
      { line: 1, index: 0, relationship: obama.id, enrolled: true, reason: null },
      expect.objectContaining({ enrolled: false, reason: expect.stringMatching(/not an image/) }),
    ]);
    expect((await user.get(`/api/signatures/faces/?relationship=${obama.id}`)).body.count).toBe(1);
    expect(report.photos[0].relationship).toBe(obama.id);
  });

  it('Outlook (2.1): quoted-printable UTF-8 with a soft line break, bare TYPE parameters, basic-format BDAY', async () => {
    const user = await ctx.signUp();
    const report = await ok(user, 'outlook.vcf');
    expect(report).toMatchObject({ created: 2, updated: 0, errors: [] });
    const people = await allPeople(user);
    const juergen = byName(people, 'Jürgen Müller');
    expect(juergen).toMatchObject({
      email: 'juergen@baeckerei.example.de',
      phone: '+49 30 1234567',
      company: 'Bäckerei Müller GmbH',
      birthday: '1970-01-15',
      tags: ['Business', 'Suppliers'],
    });
    expect((await notesOf(user, juergen.id)).map((n) => n.text)).toEqual([
      'Liefert jeden Freitag Brötchen.\nZweite Zeile der Notiz, über eine weiche Zeilenumbruch fortgesetzt.',
    ]);
    byName(people, 'Jane Smith');
  });

  it('the same people again, from another format, create nobody; the same file twice changes nothing', async () => {
    const user = await ctx.signUp();
    await ok(user, 'google.vcf');
    const notesBefore = (
      await Promise.all((await allPeople(user)).map((p) => notesOf(user, p.id as number)))
    ).flat();
    const again = await ok(user, 'google.vcf');
    expect(again).toMatchObject({ created: 0, updated: 0, skipped: 5 });
    const fromCsv = await ok(user, 'google.csv');
    expect(fromCsv.created).toBe(0);
    expect(await allPeople(user)).toHaveLength(4);
    const notesAfter = (
      await Promise.all((await allPeople(user)).map((p) => notesOf(user, p.id as number)))
    ).flat();
    expect(notesAfter).toHaveLength(notesBefore.length);
  });

  it('matches an existing person by phone whatever the spelling, and fills in only what they lack', async () => {
    const user = await ctx.signUp();
    const existing = await user.post('/api/relationships/', {
      name: 'Jürgen (the baker)',
      relationship_type: 'BUSINESS',
      phone: '+4930 123 4567',
      company: 'My own company name',
      tags: ['bread'],
    });
    expect(existing.status).toBe(201);
    const report = await ok(user, 'outlook.vcf');
    expect(report).toMatchObject({ created: 1, updated: 1 });
    const people = await allPeople(user);
    expect(people).toHaveLength(2);
    expect(byName(people, 'Jürgen (the baker)')).toMatchObject({
      id: existing.body.id,
      relationship_type: 'BUSINESS',
      company: 'My own company name',
      email: 'juergen@baeckerei.example.de',
      birthday: '1970-01-15',
      tags: ['bread', 'Business', 'Suppliers'],
    });
  });

  it('?dry_run=true reports exactly what an import would do and writes nothing', async () => {
    const user = await ctx.signUp();
    const dry = await ok(user, 'google.vcf', '?dry_run=true');
    expect(dry).toMatchObject({ dry_run: true, created: 4, updated: 1, skipped: 0 });
    expect(dry.photos[0]).toMatchObject({ relationship: null, enrolled: false });
    expect(await allPeople(user)).toEqual([]);
    const real = await ok(user, 'google.vcf', '?dry_run=false');
    expect({ ...real, dry_run: true, photos: [] }).toEqual({ ...dry, photos: [] });
  });

  it('a card that names nobody is an error with its line; a bad value is a warning and the person is kept', async () => {
    const user = await ctx.signUp();
    const file = Buffer.from(
      [
        'BEGIN:VCARD',
        'VERSION:4.0',
        'FN:Valid Person',
        'EMAIL:not-an-email',
        'BDAY:2026-02-30',
        'TEL;VALUE=uri;PREF=1:tel:+44-20-7946-0001',
        'END:VCARD',
        '',
        'BEGIN:VCARD',
        'VERSION:4.0',
        'NOTE:a card with nothing to call anyone by',
        'END:VCARD',
      ].join('\r\n'),
    );
    const res = await importFile(ctx, user, file, 'mixed.vcf');
    expect(res.status, res.raw).toBe(200);
    expect(res.body).toMatchObject({ created: 1, updated: 0, skipped: 0 });
    expect(res.body.errors).toEqual([
      { line: 9, index: 1, reason: 'The contact has no name, organisation, email or phone.' },
    ]);
    expect(res.body.warnings.map((w: { line: number }) => w.line)).toEqual([1, 1]);
    expect(res.body.warnings.map((w: { reason: string }) => w.reason).join(' ')).toMatch(
      /not-an-email.*not a valid email.*2026-02-30.*not a date/s,
    );
    expect(byName(await allPeople(user), 'Valid Person')).toMatchObject({
      email: '',
      birthday: null,
      phone: '+44 20 7946 0001',
    });
  });
});

describe('CSV import', () => {
  it('Google Contacts CSV: labels with :::, several values in a cell, a multi-line note, a duplicate', async () => {
    const user = await ctx.signUp();
    const report = await ok(user, 'google.csv');
    // The fourth row is José again (his address in capitals, beside another one): recognised, and
    // it brings nothing he lacks, so it is skipped.
    expect(report).toMatchObject({ format: 'csv', created: 4, updated: 0, skipped: 1, errors: [] });
    const people = await allPeople(user);
    const jose = byName(people, 'José Álvarez');
    expect(jose).toMatchObject({
      email: 'jose.alvarez@example.com',
      tags: ['Friends'],
      birthday: '1985-04-12',
    });
    expect((await notesOf(user, jose.id))[0]!.text).toBe(
      'Met at the Madrid meetup.\nLikes paella, and chess.',
    );
    expect(byName(people, '小明 王')).toMatchObject({ birthday: '0001-07-21' });
    byName(people, 'only-an-email@example.net');
  });

  it('Outlook CSV: E-mail Address / Mobile Phone / Categories columns, M/D/YYYY and 0/0/00 birthdays', async () => {
    const user = await ctx.signUp();
    const report = await ok(user, 'outlook.csv');
    expect(report).toMatchObject({ created: 2, errors: [], warnings: [] });
    const people = await allPeople(user);
    expect(byName(people, 'Jürgen Müller')).toMatchObject({
      email: 'juergen@baeckerei.example.de',
      // Primary, then mobile, then the others: the mobile number is his phone.
      phone: '0171 2345678',
      company: 'Bäckerei Müller GmbH',
      birthday: '1970-01-15',
      tags: ['Business', 'Suppliers'],
    });
    expect(byName(people, 'Jane Smith')).toMatchObject({ birthday: null, phone: '(425) 555-0199' });
  });

  it('a semicolon-separated file in Windows-1252 (older Outlook in Europe) reads right', async () => {
    const user = await ctx.signUp();
    const text = 'Name;E-mail Address;Company\r\nFrançois Müller;francois@example.fr;Café Größe\r\n';
    const latin1 = Buffer.from(text, 'latin1');
    const res = await importFile(ctx, user, latin1, 'legacy.csv');
    expect(res.status, res.raw).toBe(200);
    expect(byName(await allPeople(user), 'François Müller')).toMatchObject({ company: 'Café Größe' });
  });
});

describe('a file that cannot be read is refused whole', () => {
  it('malformed vCard or CSV → 400 naming the line, nothing imported (even cards before the break)', async () => {
    const user = await ctx.signUp();
    const cases: [string, RegExp][] = [
      ['broken-unterminated.vcf', /^Line 6: BEGIN:VCARD is never closed/],
      ['broken-garbage.vcf', /^Line 4: .*this line has no colon at all/],
      ['broken-quote.csv', /^Line 3: Quote Not Closed/],
    ];
    for (const [file, message] of cases) {
      const res = await importFile(ctx, user, contactsFixture(file), file);
      expect(res.status, `${file}: ${res.raw}`).toBe(400);
      expect(Object.keys(res.body)).toEqual(['file']);
      expect(res.body.file[0], file).toMatch(message);
    }
    expect(await allPeople(user)).toEqual([]);
  });

  it('a CSV with no column Rapport knows, a file with no card, an empty file → 400', async () => {
    const user = await ctx.signUp();
    for (const [content, message] of [
      ['colour,size\r\nred,XL\r\n', /none of the columns \(colour, size\)/],
      ['BEGIN:VCARD\r\nEND:VCARD\r\nstray text\r\n', /^Line 3: expected BEGIN:VCARD/],
      ['', /empty/],
    ] as const) {
      const res = await importFile(ctx, user, Buffer.from(content), 'x.csv');
      expect(res.status, res.raw).toBe(400);
      expect(res.body.file[0]).toMatch(message);
    }
  });

  it('larger than IMPORT_MAX_BYTES → 413; not multipart → 415; no `file` part → 400', async () => {
    const user = await ctx.signUp();
    const big = Buffer.from(`name\r\n${'x'.repeat(MAX_BYTES)}\r\n`);
    const res = await importFile(ctx, user, big, 'big.csv');
    expect(res.status, res.raw).toBe(413);
    expect(res.body.detail).toMatch(/larger than the import limit/);
    const json = await user.post('/api/relationships/import/', { file: 'BEGIN:VCARD' });
    expect(json.status).toBe(415);
    const wrongField = await importFile(ctx, user, contactsFixture('outlook.vcf'), 'o.vcf', '', 'upload');
    expect(wrongField.status).toBe(400);
    expect(wrongField.body).toEqual({ file: ['No file was submitted.'] });
    expect(await allPeople(user)).toEqual([]);
  });
});

describe('export', () => {
  let source: User;

  beforeAll(async () => {
    source = await ctx.signUp();
    for (const file of ['google.vcf', 'apple.vcf', 'outlook.vcf', 'outlook.csv']) await ok(source, file);
    const jose = byName(await allPeople(source), 'José Álvarez');
    await source.patch(`/api/relationships/${jose.id}/`, {
      relationship_type: 'FRIEND',
      how_we_met: 'At the meetup; he sat next to me,\nthen we talked.',
      contact_interval_days: 30,
      tags: ['Friends', 'a tag, with a comma'],
    });
  });

  /** What makes two people the same person. */
  async function snapshot(user: Client, joinNotes: boolean) {
    const people = await allPeople(user);
    return Promise.all(
      people.map(async (p) => ({
        name: p.name,
        relationship_type: p.relationship_type,
        email: p.email,
        phone: p.phone,
        company: p.company,
        birthday: p.birthday,
        tags: p.tags,
        how_we_met: p.how_we_met,
        contact_interval_days: p.contact_interval_days,
        notes: (await notesOf(user, p.id as number))
          .flatMap((n) => (joinNotes ? n.text.split('\n\n') : [n.text]))
          .sort(),
      })),
    );
  }

  for (const format of ['vcf', 'csv'] as const) {
    it(`round trip (${format}): export, import into a new user → the same people`, async () => {
      const res = await ctx.app.inject({
        method: 'GET',
        url: `/api/relationships/export/?format=${format}`,
        headers: { authorization: `Token ${source.token}` },
      });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(
        format === 'vcf' ? 'text/vcard; charset=utf-8' : 'text/csv; charset=utf-8',
      );
      expect(res.headers['content-disposition']).toBe(`attachment; filename="rapport-contacts.${format}"`);
      const target = await ctx.signUp();
      const imported = await importFile(ctx, target, res.rawPayload, `export.${format}`);
      expect(imported.status, imported.raw).toBe(200);
      expect(imported.body.errors).toEqual([]);
      // A CSV row has one notes cell: a person's notes come back as one note, its paragraphs theirs.
      const expected = await snapshot(source, format === 'csv');
      expect(imported.body.created).toBe(expected.length);
      expect(await snapshot(target, format === 'csv')).toEqual(expected);
    });
  }

  it('vCard export is 3.0 with CRLF lines and without year for unknown years', async () => {
    const res = await ctx.app.inject({
      method: 'GET',
      url: '/api/relationships/export/',
      headers: { authorization: `Token ${source.token}` },
    });
    const text = res.body;
    expect(text.match(/BEGIN:VCARD\r\n/g)).toHaveLength((await allPeople(source)).length);
    expect(text).toContain('VERSION:3.0\r\n');
    expect(text).toContain('BDAY:--0228\r\n');
    expect(text).toContain('BDAY:--0721\r\n');
    expect(text.replace(/\r\n/g, '')).not.toMatch(/\n/);
  });

  it('an unknown format → 400 naming it; a user with nobody gets an empty file', async () => {
    const bad = await source.get('/api/relationships/export/?format=xlsx');
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body)).toEqual(['format']);
    const empty = await ctx.signUp();
    const vcf = await empty.get('/api/relationships/export/?format=vcf');
    expect(vcf.status).toBe(200);
    expect(vcf.raw).toBe('');
    const csv = await empty.get('/api/relationships/export/?format=csv');
    expect(csv.raw).toBe(
      '\ufeffname,relationship_type,email,phone,company,birthday,tags,how_we_met,contact_interval_days,notes\r\n',
    );
  });
});

describe('PHOTO → face enrolment', () => {
  it('with an enroller wired in, the decoded photo bytes reach it and its refusals are reported', async () => {
    const user = await ctx.signUp();
    const calls: { userId: number; relationshipId: number; image: Buffer }[] = [];
    const service = new ContactsService(new ContactsRepository(ctx.database.db), {
      batchSize: 2,
      phoneDefaultCountry: undefined,
      faceEnroller: {
        async enrolFace(userId, relationshipId, image) {
          calls.push({ userId, relationshipId, image });
          // What the face service says for a photo without a face (the 64-byte non-image of Åsa).
          if (image.length < 100)
            throw Object.assign(new Error('400'), { body: { image: ['No face was found in the image.'] } });
          return { id: 1 };
        },
      },
    });
    const report = await service.import(user.userId, contactsFixture('apple.vcf'), { dryRun: false });
    const obama = byName(await allPeople(user), 'Barack Obama');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({ userId: user.userId, relationshipId: obama.id });
    expect(calls[0]!.image.equals(fs.readFileSync(`${FIXTURES}/faces/obama-small.jpg`))).toBe(true);
    expect(report.photos).toEqual([
      { line: 1, index: 0, relationship: obama.id, enrolled: true, reason: null },
      expect.objectContaining({ enrolled: false, reason: 'No face was found in the image.' }),
    ]);
  });
});
