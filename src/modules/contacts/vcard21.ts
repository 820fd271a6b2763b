import { decode as decodeQuotedPrintable } from 'libqp';

/**
 * vCard 2.1 (Outlook, Android and older phones) → vCard 3.0 lines that ical.js can parse: ical.js
 * reads 3.0 and 4.0 only (kewisch/ical.js#187), and no maintained npm vCard parser decodes 2.1's
 * quoted-printable values. Only the differences that matter are translated: quoted-printable
 * values with their CHARSET and soft line breaks, bare type parameters (`TEL;WORK;VOICE:`),
 * `ENCODING=BASE64`, literal commas and newlines in text, `;`-separated CATEGORIES.
 *
 * Takes the card's physical lines (without BEGIN/END) and returns logical lines, each with the
 * number of the physical line it started on, for error messages.
 */
export function upgradeVcard21(lines: { text: string; line: number }[]): { text: string; line: number }[] {
  const logical: { text: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    let text = first.text;
    if (text.trim() === '') continue;
    const quotedPrintable = /QUOTED-PRINTABLE/i.test(text.slice(0, text.indexOf(':') + 1));
    // A quoted-printable value goes on after a soft line break (`=` at the end of the line); any
    // value goes on over lines that start with white space (folding).
    while (i + 1 < lines.length) {
      const next = lines[i + 1]!.text;
      if (quotedPrintable && text.endsWith('=')) text = text.slice(0, -1) + next;
      else if (/^[ \t]/.test(next)) text += next;
      else break;
      i++;
    }
    logical.push({ text: upgradeProperty(text), line: first.line });
  }
  return logical;
}

/**
 * Some Android exporters write quoted-printable values into cards that say `VERSION:3.0`: those
 * lines (with their soft line breaks) are decoded as in 2.1; every other line is left to ical.js.
 */
export function decodeQuotedPrintableLines(
  lines: { text: string; line: number }[],
): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const first = lines[i]!;
    if (!/QUOTED-PRINTABLE/i.test(first.text.slice(0, first.text.indexOf(':') + 1))) {
      out.push(first);
      continue;
    }
    let text = first.text;
    while (text.endsWith('=') && i + 1 < lines.length) text = text.slice(0, -1) + lines[++i]!.text;
    out.push({ text: upgradeProperty(text), line: first.line });
  }
  return out;
}

const ENCODINGS = new Set(['QUOTED-PRINTABLE', 'BASE64', 'B', '8BIT', '7BIT']);

function upgradeProperty(line: string): string {
  const colon = line.indexOf(':');
  if (colon < 0) return line; // ical.js reports it, with this text
  const [name = '', ...rawParams] = line.slice(0, colon).split(';');
  let value = line.slice(colon + 1);
  const property = name.replace(/^.*\./, '').toUpperCase();
  if (property === 'VERSION') return 'VERSION:3.0';

  const types: string[] = [];
  const params: string[] = [];
  let encoding = '';
  let charset = 'utf-8';
  for (const raw of rawParams) {
    const eq = raw.indexOf('=');
    const key = (eq < 0 ? '' : raw.slice(0, eq)).trim().toUpperCase();
    const val = (eq < 0 ? raw : raw.slice(eq + 1)).trim();
    if (key === 'ENCODING' || (key === '' && ENCODINGS.has(val.toUpperCase()))) encoding = val.toUpperCase();
    else if (key === 'CHARSET') charset = val;
    else if (key === 'TYPE' || key === '') types.push(val);
    else params.push(`${key}=${val}`);
  }

  let text: string | undefined;
  if (encoding === 'QUOTED-PRINTABLE') {
    const bytes = decodeQuotedPrintable(value);
    try {
      text = new TextDecoder(charset, { fatal: false }).decode(bytes);
    } catch {
      text = bytes.toString('utf8'); // a CHARSET TextDecoder does not know
    }
  } else if (encoding === 'BASE64' || encoding === 'B') {
    params.push('ENCODING=b');
    value = value.replace(/\s+/g, '');
  } else {
    text = value;
  }
  if (text !== undefined) {
    // 2.1 text has literal commas and line breaks; 3.0 escapes them. Semicolons keep separating
    // the parts of N, ADR and ORG in both (and `\;` stays an escaped one).
    value = text
      .replace(/\\(?!;)/g, '\\\\')
      .replace(/,/g, '\\,')
      .replace(/\r\n|\r|\n/g, '\\n');
    if (property === 'CATEGORIES') value = value.replace(/;/g, ',');
  }
  if (types.length > 0) params.unshift(`TYPE=${types.join(',')}`);
  return `${[name, ...params].join(';')}:${value}`;
}
