import fs from 'node:fs';
import path from 'node:path';
import type { Client, Response, TestContext } from './app.js';
import { multipartFile } from './multipart.js';
import { REPO_ROOT } from './process.js';

/** Address-book exports in the shapes Google, Apple and Outlook write (see the folder's files). */
export const CONTACTS_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/contacts');
export const contactsFixture = (name: string) => fs.readFileSync(path.join(CONTACTS_FIXTURES, name));

/** `POST /api/relationships/import/` with a file. */
export async function importFile(
  ctx: TestContext,
  user: Client,
  content: Buffer,
  filename: string,
  query = '',
  field = 'file',
): Promise<Response> {
  const type = filename.endsWith('.csv') ? 'text/csv' : 'text/vcard';
  const body = multipartFile(content, filename, type, field);
  const res = await ctx.app.inject({
    method: 'POST',
    url: `/api/relationships/import/${query}`,
    headers: { authorization: `Token ${user.token}`, ...body.headers },
    payload: body.payload,
  });
  let parsed: unknown;
  try {
    parsed = res.body ? JSON.parse(res.body) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, headers: res.headers, raw: res.body };
}

/** Every person of the user, through the API, by name. */
export async function allPeople(user: Client): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  let url: string | null = '/api/relationships/?page_size=200&ordering=name';
  while (url) {
    const res = await user.get(url);
    if (res.status !== 200) throw new Error(`list failed: ${res.status} ${res.raw}`);
    out.push(...res.body.results);
    url = res.body.next ? new URL(res.body.next).pathname + new URL(res.body.next).search : null;
  }
  return out;
}
