import { ApiError } from '../../infra/http/errors.js';

/** The whole file cannot be read: nothing is imported, and the 400 answer names the lines. */
export class ImportFileError extends ApiError {
  override name = 'ImportFileError';
  constructor(readonly problems: string[]) {
    super(400, { file: problems });
    this.message = problems.join('\n');
  }
}

/** Stop listing a broken file's problems after this many: the first ones say what is wrong. */
export const MAX_REPORTED_PROBLEMS = 20;

/**
 * Address books write UTF-8 (with or without a byte-order mark), but older Outlook versions write
 * Windows-1252: a file that is not valid UTF-8 is read as Windows-1252 rather than refused.
 */
export function decodeText(bytes: Buffer): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    text = new TextDecoder('windows-1252').decode(bytes);
  }
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

export type ImportFormat = 'vcard' | 'csv';

/** vCard if the first non-blank line says so, CSV otherwise (the file name is only a hint). */
export function sniffFormat(text: string): ImportFormat {
  const firstLine = /^\s*([^\r\n]*)/.exec(text)?.[1] ?? '';
  return /^BEGIN:VCARD\s*$/i.test(firstLine) ? 'vcard' : 'csv';
}
