import { randomBytes } from 'node:crypto';

export type FormPart =
  | { field: string; value: string }
  | { field: string; file: { content: Buffer; filename: string; type: string } };

/** A multipart/form-data body (text fields and files, in order), as a browser sends it. */
export function multipartForm(parts: FormPart[]) {
  const boundary = `----rapport${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      'file' in part
        ? `form-data; name="${part.field}"; filename="${part.file.filename}"\r\nContent-Type: ${part.file.type}`
        : `form-data; name="${part.field}"`;
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: ${disposition}\r\n\r\n`));
    chunks.push('file' in part ? part.file.content : Buffer.from(part.value));
    chunks.push(Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    payload: Buffer.concat(chunks),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}

/** An upload of one file (after any text `fields`), as a browser's file input sends it. */
export function multipartFile(
  content: Buffer,
  filename: string,
  contentType: string,
  field = 'file',
  fields: Record<string, string> = {},
) {
  return multipartForm([
    ...Object.entries(fields).map(([name, value]) => ({ field: name, value })),
    { field, file: { content, filename, type: contentType } },
  ]);
}
