import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/infra/config/config.js';
import { parseBirthday, validateContact } from '../../src/modules/contacts/contact.js';
import { parseCsv } from '../../src/modules/contacts/csv.js';
import { decodeText, ImportFileError, sniffFormat } from '../../src/modules/contacts/import-file.js';
import { PhoneNormaliser } from '../../src/modules/contacts/phone.js';
import { parseVcards, toVcard } from '../../src/modules/contacts/vcard.js';

/** The parsers on their own: the shapes address books write, and what must be refused. */

const card = (...lines: string[]) => ['BEGIN:VCARD', ...lines, 'END:VCARD', ''].join('\r\n');

describe('birthdays', () => {
  it.each([
    ['1985-04-12', '1985-04-12'],
    ['19850412', '1985-04-12'],
    ['1985-04-12T00:00:00Z', '1985-04-12'],
    ['--04-12', '0001-04-12'],
    ['--0412', '0001-04-12'],
    ['4/12/1985', '1985-04-12'],
    ['12/1/1985', '1985-12-01'],
    ['0/0/00', ''],
    ['', ''],
    ['--02-29', '0001-02-29'],
  ])('%s → %s', (raw, expected) => {
    expect(parseBirthday(raw)).toBe(expected);
  });

  it.each(['2026-02-30', '1985-13-01', '--13-01', 'yesterday', '12.04.1985', '0000-01-01'])(
    '%s is not a date',
    (raw) => {
      expect(parseBirthday(raw)).toBeUndefined();
    },
  );
});

describe('phone numbers', () => {
  it('spellings of one international number share a key; national ones need a default country', () => {
    const plain = new PhoneNormaliser(undefined);
    expect(plain.key('+49 30 1234567')).toBe(plain.key('+4930-123-4567'));
    expect(plain.key('(202) 456-1111')).toBe('2024561111');
    expect(plain.key('+1 202 456 1111')).not.toBe(plain.key('(202) 456-1111'));
    expect(plain.key('12')).toBe('');
    expect(plain.display('0171 2345678')).toBe('0171 2345678');

    const us = new PhoneNormaliser('US');
    expect(us.key('(202) 456-1111')).toBe(us.key('+1 202 456 1111'));
    expect(us.display('(202) 456-1111')).toBe('+1 202 456 1111');
  });
});

describe('vCard', () => {
  it('2.1 quoted-printable in a legacy charset, with a soft line break', () => {
    // "Čapek" in ISO-8859-2: Č is 0xC8.
    const [draft] = parseVcards(
      card(
        'VERSION:2.1',
        'FN;CHARSET=ISO-8859-2;ENCODING=QUOTED-PRINTABLE:Karel =C8ap=',
        'ek',
        'TEL;CELL:+420 777 123 456',
      ),
    );
    expect(draft).toMatchObject({ name: 'Karel Čapek', phones: ['+420 777 123 456'] });
  });

  it('quoted-printable in a card that says 3.0 (Android) is decoded too; its other lines are 3.0', () => {
    const [draft] = parseVcards(
      card(
        'VERSION:3.0',
        'N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:T=C3=A9st;S=C3=A9bastien;;;',
        'FN;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:S=C3=A9bastien =',
        'T=C3=A9st',
        'NOTE:escaped\\, comma, and an unescaped one, fol',
        ' ded line',
      ),
    );
    expect(draft).toMatchObject({
      name: 'Sébastien Tést',
      notes: ['escaped, comma, and an unescaped one, folded line'],
    });
  });

  it('2.1 text keeps its literal commas and backslash-escaped semicolons', () => {
    const [draft] = parseVcards(
      card('VERSION:2.1', 'FN:Smith, Jane', 'ORG:Smith\\; Sons;Sales', 'NOTE:a, b, c'),
    );
    expect(draft).toMatchObject({ name: 'Smith, Jane', company: 'Smith; Sons', notes: ['a, b, c'] });
  });

  it('4.0: tel: URIs, PREF=1 first, data: URI photos', () => {
    const [draft] = parseVcards(
      card(
        'VERSION:4.0',
        'FN:Ada',
        'TEL;VALUE=uri;TYPE=home:tel:+44-20-7946-0000',
        'TEL;VALUE=uri;PREF=1:tel:+44-20-7946-0001',
        'PHOTO:data:image/png;base64,iVBORw0KGgo=',
      ),
    );
    expect(draft!.phones).toEqual(['+44-20-7946-0001', '+44-20-7946-0000']);
    expect(draft!.photo).toEqual({ kind: 'inline', bytes: Buffer.from('iVBORw0KGgo=', 'base64') });
  });

  it('a nested BEGIN, stray text between cards, a missing END → every problem with its line', () => {
    const text = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      'FN:One',
      'BEGIN:VCARD',
      'VERSION:3.0',
      'FN:Two',
      'END:VCARD',
      'stray',
      'BEGIN:VCARD',
      'FN:Three',
    ].join('\n');
    try {
      parseVcards(text);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ImportFileError);
      expect((error as ImportFileError).problems).toEqual([
        'Line 1: BEGIN:VCARD is not closed by END:VCARD before line 4.',
        'Line 8: expected BEGIN:VCARD.',
        'Line 9: BEGIN:VCARD is never closed by END:VCARD.',
      ]);
    }
  });

  it('what toVcard writes, parseVcards reads back, special characters included', () => {
    const person = {
      name: 'Zoë "Z" O\'Brien, Jr.; the second',
      email: 'zoe@example.org',
      phone: '+44 20 7946 0000',
      company: 'A; B, C\\D',
      birthday: '0001-12-24',
      tags: ['a, b', 'c;d'],
      notes: ['line 1\nline 2, with; punctuation \\ and a very long tail '.repeat(4)],
      relationshipType: 'FAMILY',
      howWeMet: 'At, the; club\nthen \\ more',
      contactIntervalDays: 45,
    };
    const [draft] = parseVcards(toVcard(person));
    expect(draft).toMatchObject({
      name: person.name,
      emails: [person.email],
      phones: [person.phone],
      company: person.company,
      birthday: '--12-24',
      tags: person.tags,
      notes: person.notes,
      relationshipType: 'FAMILY',
      howWeMet: person.howWeMet,
      contactIntervalDays: '45',
    });
  });
});

describe('CSV', () => {
  it('quoted cells with commas, quotes and line breaks; the record start line is reported', () => {
    const drafts = parseCsv(
      'name,notes,email\r\n"Lovelace, Ada","She said ""hi""\r\nthen left",ada@example.com\r\n\r\nBob,,\r\n',
    );
    expect(drafts.map((d) => [d.source.line, d.name, d.notes])).toEqual([
      [2, 'Lovelace, Ada', ['She said "hi"\r\nthen left']],
      [5, 'Bob', []],
    ]);
  });

  it('an unclosed quote is reported on the line of the record it broke', () => {
    expect(() =>
      parseCsv(
        'name,email\r\nAlice,a@example.com\r\n\r\n"Bob, unterminated,b@example.com\r\nCarol,c@example.com\r\n',
      ),
    ).toThrow(
      expect.objectContaining({
        problems: ['Line 4: Quote Not Closed: the parsing is finished with an opening quote'],
      }),
    );
  });

  it('a header that names no person column is refused', () => {
    expect(() => parseCsv('colour,size\r\nred,XL\r\n')).toThrow(ImportFileError);
  });
});

describe('files', () => {
  it('UTF-8 with a BOM, or Windows-1252 when not UTF-8; format by content, not name', () => {
    expect(decodeText(Buffer.from('\ufeffname\r\n'))).toBe('name\r\n');
    expect(decodeText(Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72]))).toBe('Müller');
    expect(sniffFormat('\r\n  BEGIN:VCARD\r\n')).toBe('vcard');
    expect(sniffFormat('name,email\r\n')).toBe('csv');
  });

  it('validation: no way to name the person is an error; bad values are warnings', () => {
    const base = { source: { line: 1, index: 0 }, company: '', birthday: '', tags: [], notes: [] };
    const display = (p: string) => p;
    expect(validateContact({ ...base, name: ' ', emails: [], phones: [] }, display)).toEqual({
      ok: false,
      reason: 'The contact has no name, organisation, email or phone.',
    });
    const result = validateContact(
      {
        ...base,
        name: 'x'.repeat(300),
        emails: ['bad', 'A@Example.com', 'a@example.com'],
        phones: ['1'.repeat(60), '+1 212 555 0100'],
        tags: Array.from({ length: 60 }, (_, i) => `t${i}`),
        relationshipType: 'friend',
        contactIntervalDays: '0',
      },
      display,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.values).toMatchObject({
      email: 'a@example.com',
      emails: ['a@example.com'],
      phone: '+1 212 555 0100',
      relationshipType: 'FRIEND',
      contactIntervalDays: null,
    });
    expect(result.values.name).toHaveLength(255);
    expect(result.values.tags).toHaveLength(50);
    expect(result.warnings).toHaveLength(5);
  });
});

describe('configuration', () => {
  it('IMPORT_MAX_BYTES, IMPORT_BATCH_SIZE, PHONE_DEFAULT_COUNTRY: defaults, values, and bad values named', () => {
    expect(loadConfig({}).contacts).toEqual({
      importMaxBytes: 50 * 1024 ** 2,
      importBatchSize: 500,
      phoneDefaultCountry: undefined,
    });
    expect(
      loadConfig({ IMPORT_MAX_BYTES: '1000', IMPORT_BATCH_SIZE: '10', PHONE_DEFAULT_COUNTRY: 'gb' }).contacts,
    ).toEqual({ importMaxBytes: 1000, importBatchSize: 10, phoneDefaultCountry: 'GB' });
    expect(() => loadConfig({ PHONE_DEFAULT_COUNTRY: 'GBR' })).toThrow(/PHONE_DEFAULT_COUNTRY="GBR"/);
    expect(() => loadConfig({ IMPORT_BATCH_SIZE: '0' })).toThrow(ConfigError);
  });
});
