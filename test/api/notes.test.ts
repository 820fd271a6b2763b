import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notes } from '../../src/infra/db/schema.js';
import type { Client, TestContext } from '../helpers/app.js';
import { createTestContext } from '../helpers/app.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type User = Client & { userId: number; username: string };
type Note = {
  id: number;
  relationship: number;
  interaction: number | null;
  text: string;
  category: string;
  importance: number;
  status: string;
  source: string;
  created_at: string;
  updated_at: string;
};

const BASE = '/api/notes/';
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const NOT_FOUND = { detail: 'Not found.' };
const invalidPk = (id: number | string) => `Invalid pk "${id}" - object does not exist.`;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx?.close());

async function createRelationship(user: User, name = 'Emma') {
  const res = await user.post('/api/relationships/', { name, relationship_type: 'FRIEND' });
  expect(res.status, res.raw).toBe(201);
  return res.body.id as number;
}

async function createInteraction(user: User, participants: number[] = []) {
  const res = await user.post('/api/interactions/', { interaction_type: 'PHONE_CALL', participants });
  expect(res.status, res.raw).toBe(201);
  return res.body.id as number;
}

async function createNote(user: User, relationship: number, body: Record<string, unknown> = {}) {
  const res = await user.post(BASE, { relationship, text: 'A note', ...body });
  expect(res.status, res.raw).toBe(201);
  return res.body as Note;
}

/** The ids of a list response, in order; checks `count` agrees for single-page lists. */
async function listIds(user: User, query = '') {
  const res = await user.get(`${BASE}${query}`);
  expect(res.status, res.raw).toBe(200);
  expect(res.body.count).toBe(res.body.results.length);
  return res.body.results.map((n: Note) => n.id) as number[];
}

async function getNote(user: User, id: number) {
  const res = await user.get(`${BASE}${id}/`);
  expect(res.status, res.raw).toBe(200);
  return res.body as Note;
}

/** A user with one person, ready to write notes about. */
async function userWithPerson(): Promise<{ user: User; person: number }> {
  const user = await ctx.signUp();
  return { user, person: await createRelationship(user) };
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

describe('create', () => {
  it('a manual note defaults to OTHER, 0.5, ACTIVE, MANUAL, no interaction', async () => {
    const { user, person } = await userWithPerson();
    const res = await user.post(BASE, { relationship: person, text: '  Likes green tea  ' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      relationship: person,
      interaction: null,
      text: 'Likes green tea',
      category: 'OTHER',
      importance: 0.5,
      status: 'ACTIVE',
      source: 'MANUAL',
      created_at: expect.stringMatching(ISO_TIMESTAMP),
      updated_at: expect.stringMatching(ISO_TIMESTAMP),
    });
    expect(await getNote(user, res.body.id)).toEqual(res.body);
  });

  it('stores category, importance and interaction; importance 0.7 reads back as 0.7', async () => {
    const { user, person } = await userWithPerson();
    const call = await createInteraction(user, [person]);
    const note = await createNote(user, person, {
      text: 'Daughter starts school in September',
      category: 'FAMILY',
      importance: 0.7,
      interaction: call,
    });
    expect(note).toMatchObject({ interaction: call, category: 'FAMILY', importance: 0.7 });
    expect((await getNote(user, note.id)).importance).toBe(0.7);
    const list = await user.get(`${BASE}?relationship=${person}`);
    expect(list.body.results[0].importance).toBe(0.7);
    for (const importance of [0, 1, 0.333]) {
      expect((await createNote(user, person, { importance })).importance).toBe(importance);
    }
  });

  it('accepts the relationship id as a decimal string, as DRF does', async () => {
    const { user, person } = await userWithPerson();
    expect((await createNote(user, person, { relationship: String(person) })).relationship).toBe(person);
  });

  it('a client cannot set source; it is always MANUAL', async () => {
    const { user, person } = await userWithPerson();
    const note = await createNote(user, person, { source: 'AI', id: 1, created_at: '2000-01-01T00:00:00Z' });
    expect(note.source).toBe('MANUAL');
    expect(note.created_at).not.toBe('2000-01-01T00:00:00.000Z');
  });

  it('requires relationship and text', async () => {
    const { user } = await userWithPerson();
    const res = await user.post(BASE, { category: 'FACT' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      relationship: ['This field is required.'],
      text: ['This field is required.'],
    });
    const blank = await user.post(BASE, { relationship: 1, text: '   ' });
    expect(blank.status).toBe(400);
    expect(blank.body).toEqual({ text: ['This field may not be blank.'] });
  });

  it("refuses another user's or a missing relationship as an invalid pk", async () => {
    const { user, person } = await userWithPerson();
    const { user: other, person: othersPerson } = await userWithPerson();
    for (const relationship of [othersPerson, 2_147_483_647, 0, 99_999_999_999]) {
      const res = await user.post(BASE, { relationship, text: 'x' });
      expect(res.status, String(relationship)).toBe(400);
      expect(res.body).toEqual({ relationship: [invalidPk(relationship)] });
    }
    const wrongType = await user.post(BASE, { relationship: 'abc', text: 'x' });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body).toEqual({ relationship: ['Incorrect type. Expected pk value, received str.'] });
    // Nothing was written for either user.
    expect(await listIds(user)).toEqual([]);
    expect(await listIds(other)).toEqual([]);
    expect(person).toBeGreaterThan(0);
  });

  it("refuses another user's or a missing interaction, naming every bad reference", async () => {
    const { user, person } = await userWithPerson();
    const { user: other, person: othersPerson } = await userWithPerson();
    const othersCall = await createInteraction(other, [othersPerson]);

    const res = await user.post(BASE, { relationship: person, interaction: othersCall, text: 'x' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ interaction: [invalidPk(othersCall)] });

    const both = await user.post(BASE, { relationship: othersPerson, interaction: 2_000_000_000, text: 'x' });
    expect(both.status).toBe(400);
    expect(both.body).toEqual({
      relationship: [invalidPk(othersPerson)],
      interaction: [invalidPk(2_000_000_000)],
    });
    expect(await listIds(user)).toEqual([]);
  });

  it('refuses importance outside [0, 1] and non-numbers', async () => {
    const { user, person } = await userWithPerson();
    const cases: [unknown, string][] = [
      [1.01, 'Ensure this value is less than or equal to 1.'],
      [-0.1, 'Ensure this value is greater than or equal to 0.'],
      ['high', 'A valid number is required.'],
      [null, 'This field may not be null.'],
    ];
    for (const [importance, message] of cases) {
      const res = await user.post(BASE, { relationship: person, text: 'x', importance });
      expect(res.status, String(importance)).toBe(400);
      expect(res.body).toEqual({ importance: [message] });
    }
  });

  it('refuses unknown category and status values', async () => {
    const { user, person } = await userWithPerson();
    const res = await user.post(BASE, {
      relationship: person,
      text: 'x',
      category: 'GOSSIP',
      status: 'HIDDEN',
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      category: ['"GOSSIP" is not a valid choice.'],
      status: ['"HIDDEN" is not a valid choice.'],
    });
  });

  it('refuses text over 5000 characters', async () => {
    const { user, person } = await userWithPerson();
    const res = await user.post(BASE, { relationship: person, text: 'x'.repeat(5001) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ text: ['Ensure this field has no more than 5000 characters.'] });
  });
});

// ---------------------------------------------------------------------------------------------
// List: filters, search, ordering
// ---------------------------------------------------------------------------------------------

describe('list', () => {
  let alice: User;
  let bob: User;
  let emma: number;
  let noah: number;
  let call: number;
  let n: Record<string, Note>;

  beforeAll(async () => {
    alice = await ctx.signUp();
    bob = await ctx.signUp();
    emma = await createRelationship(alice, 'Emma');
    noah = await createRelationship(alice, 'Noah');
    call = await createInteraction(alice, [emma]);
    n = {};
    // Created in this order; created_at follows it.
    n.tea = await createNote(alice, emma, {
      text: 'Loves GREEN tea',
      category: 'PREFERENCE',
      importance: 0.4,
    });
    n.school = await createNote(alice, emma, {
      text: 'Daughter starts school',
      category: 'FAMILY',
      importance: 0.9,
      interaction: call,
    });
    n.discount = await createNote(alice, noah, {
      text: 'Got a 50% discount',
      category: 'FACT',
      importance: 0.4,
    });
    n.archived = await createNote(alice, noah, {
      text: 'Old job at Initech',
      category: 'WORK',
      importance: 0.8,
      status: 'ARCHIVED',
    });
    n.deleted = await createNote(alice, emma, { text: 'Wrong fact about tea', importance: 1 });
    expect((await alice.delete(`${BASE}${n.deleted.id}/`)).status).toBe(204);
    // Bob's notes never show in Alice's lists.
    const bobsPerson = await createRelationship(bob, 'Emma');
    n.bobs = await createNote(bob, bobsPerson, { text: 'Loves green tea too', importance: 0.95 });
  });

  it('by default: every status but DELETED, by -importance then -created_at', async () => {
    // tea and discount tie on 0.4: the newer (discount) first.
    expect(await listIds(alice)).toEqual([n.school!.id, n.archived!.id, n.discount!.id, n.tea!.id]);
    expect(await listIds(bob)).toEqual([n.bobs!.id]);
  });

  it('filters by status', async () => {
    expect(await listIds(alice, '?status=ACTIVE')).toEqual([n.school!.id, n.discount!.id, n.tea!.id]);
    expect(await listIds(alice, '?status=ARCHIVED')).toEqual([n.archived!.id]);
    expect(await listIds(alice, '?status=DELETED')).toEqual([n.deleted!.id]);
    const bad = await alice.get(`${BASE}?status=GONE`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ status: ['"GONE" is not a valid choice.'] });
  });

  it('filters by category', async () => {
    expect(await listIds(alice, '?category=FAMILY')).toEqual([n.school!.id]);
    expect(await listIds(alice, '?category=HEALTH')).toEqual([]);
    expect(await listIds(alice, '?category=WORK&status=ARCHIVED')).toEqual([n.archived!.id]);
    const bad = await alice.get(`${BASE}?category=family`);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ category: ['"family" is not a valid choice.'] });
  });

  it('filters by relationship and interaction', async () => {
    expect(await listIds(alice, `?relationship=${emma}`)).toEqual([n.school!.id, n.tea!.id]);
    expect(await listIds(alice, `?relationship=${noah}`)).toEqual([n.archived!.id, n.discount!.id]);
    expect(await listIds(alice, `?interaction=${call}`)).toEqual([n.school!.id]);
    expect(await listIds(alice, `?relationship=${noah}&interaction=${call}`)).toEqual([]);
  });

  it("another user's or a missing id filters to nothing (200, empty)", async () => {
    for (const query of [
      `?relationship=${emma}`,
      `?interaction=${call}`,
      '?relationship=2147483647',
      '?relationship=0',
      '?relationship=-5',
      '?relationship=99999999999999',
    ]) {
      const res = await bob.get(`${BASE}${query}`);
      expect(res.status, query).toBe(200);
      expect(res.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    }
  });

  it('a non-integer id filter is 400 under its name', async () => {
    for (const field of ['relationship', 'interaction']) {
      for (const value of ['abc', '1.5', '1e3']) {
        const res = await alice.get(`${BASE}?${field}=${value}`);
        expect(res.status, `${field}=${value}`).toBe(400);
        expect(Object.keys(res.body)).toEqual([field]);
      }
    }
  });

  it('treats empty filter values as absent, as django-filter does', async () => {
    expect(await listIds(alice, '?status=&category=&relationship=&interaction=&search=')).toEqual(
      await listIds(alice),
    );
  });

  it('searches the text: every term, case-insensitively, wildcards literal', async () => {
    expect(await listIds(alice, '?search=green')).toEqual([n.tea!.id]);
    expect(await listIds(alice, '?search=TEA%20loves')).toEqual([n.tea!.id]);
    expect(await listIds(alice, '?search=tea%20school')).toEqual([]);
    expect(await listIds(alice, '?search=50%25')).toEqual([n.discount!.id]);
    expect(await listIds(alice, '?search=%25')).toEqual([n.discount!.id]);
    expect(await listIds(alice, '?search=tea&status=DELETED')).toEqual([n.deleted!.id]);
  });

  it('orders by importance and created_at, both ways', async () => {
    const byCreation = [n.tea!.id, n.school!.id, n.discount!.id, n.archived!.id];
    expect(await listIds(alice, '?ordering=created_at')).toEqual(byCreation);
    expect(await listIds(alice, '?ordering=-created_at')).toEqual([...byCreation].reverse());
    expect(await listIds(alice, '?ordering=importance,created_at')).toEqual([
      n.tea!.id,
      n.discount!.id,
      n.archived!.id,
      n.school!.id,
    ]);
    expect(await listIds(alice, '?ordering=-importance,created_at')).toEqual([
      n.school!.id,
      n.archived!.id,
      n.tea!.id,
      n.discount!.id,
    ]);
    // Unknown fields are ignored: the default ordering applies.
    expect(await listIds(alice, '?ordering=text')).toEqual(await listIds(alice));
  });

  it('paginates', async () => {
    const res = await alice.get(`${BASE}?page_size=3&page=2`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      count: 4,
      next: null,
      previous: 'http://localhost/api/notes/?page_size=3',
      results: [await getNote(alice, n.tea!.id)],
    });
    const past = await alice.get(`${BASE}?page_size=3&page=3`);
    expect(past.status).toBe(404);
    expect(past.body).toEqual({ detail: 'Invalid page.' });
  });
});

// ---------------------------------------------------------------------------------------------
// Detail, update, delete
// ---------------------------------------------------------------------------------------------

describe('detail', () => {
  it("another user's, a missing or a malformed id is 404", async () => {
    const { user, person } = await userWithPerson();
    const other = await ctx.signUp();
    const note = await createNote(user, person);
    for (const url of [`${BASE}${note.id}/`, `${BASE}2147483647/`, `${BASE}abc/`]) {
      const res = await other.get(url);
      expect(res.status, url).toBe(404);
      expect(res.body).toEqual(NOT_FOUND);
    }
    expect((await user.get(`/api/notes/${note.id}`)).status).toBe(200);
  });
});

describe('update', () => {
  it('PATCH status ARCHIVED: still listed by default, no longer counted on the person', async () => {
    const { user, person } = await userWithPerson();
    const note = await createNote(user, person);
    const res = await user.patch(`${BASE}${note.id}/`, { status: 'ARCHIVED' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...note,
      status: 'ARCHIVED',
      updated_at: expect.stringMatching(ISO_TIMESTAMP),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(note.updated_at));
    expect(await listIds(user)).toEqual([note.id]);
    expect((await user.get(`/api/relationships/${person}/`)).body.notes_count).toBe(0);
    expect((await user.get(`/api/relationships/${person}/notes/`)).body.results).toEqual([]);
  });

  it('PATCH importance 0.7 reads back as 0.7; other fields stay', async () => {
    const { user, person } = await userWithPerson();
    const note = await createNote(user, person, { category: 'TASK', text: 'Send the book' });
    const res = await user.patch(`${BASE}${note.id}/`, { importance: 0.7 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...note, importance: 0.7, updated_at: expect.stringMatching(ISO_TIMESTAMP) });
    expect((await getNote(user, note.id)).importance).toBe(0.7);
  });

  it('PATCH moves a note to another own person, sets and clears the interaction', async () => {
    const { user, person } = await userWithPerson();
    const other = await createRelationship(user, 'Noah');
    const call = await createInteraction(user, [other]);
    const note = await createNote(user, person);
    const moved = await user.patch(`${BASE}${note.id}/`, { relationship: other, interaction: call });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ relationship: other, interaction: call });
    const cleared = await user.patch(`${BASE}${note.id}/`, { interaction: null });
    expect(cleared.body).toMatchObject({ relationship: other, interaction: null });
  });

  it("PATCH refuses another user's relationship or interaction and changes nothing", async () => {
    const { user, person } = await userWithPerson();
    const { user: other, person: othersPerson } = await userWithPerson();
    const othersCall = await createInteraction(other);
    const note = await createNote(user, person);
    const res = await user.patch(`${BASE}${note.id}/`, { relationship: othersPerson });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ relationship: [invalidPk(othersPerson)] });
    const res2 = await user.patch(`${BASE}${note.id}/`, { interaction: othersCall });
    expect(res2.status).toBe(400);
    expect(res2.body).toEqual({ interaction: [invalidPk(othersCall)] });
    const nulled = await user.patch(`${BASE}${note.id}/`, { relationship: null });
    expect(nulled.status).toBe(400);
    expect(nulled.body).toEqual({ relationship: ['This field may not be null.'] });
    expect(await getNote(user, note.id)).toEqual(note);
  });

  it('PUT requires relationship and text; omitted optional fields keep their values', async () => {
    const { user, person } = await userWithPerson();
    const note = await createNote(user, person, {
      category: 'HEALTH',
      importance: 0.9,
      text: 'Allergic to nuts',
    });
    const missing = await user.put(`${BASE}${note.id}/`, { category: 'FACT' });
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({
      relationship: ['This field is required.'],
      text: ['This field is required.'],
    });

    const res = await user.put(`${BASE}${note.id}/`, { relationship: person, text: 'Allergic to peanuts' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...note,
      text: 'Allergic to peanuts',
      updated_at: expect.stringMatching(ISO_TIMESTAMP),
    });
    // PUT back what GET returned.
    const back = await user.put(`${BASE}${note.id}/`, res.body);
    expect(back.status).toBe(200);
    expect(back.body).toEqual({ ...res.body, updated_at: expect.stringMatching(ISO_TIMESTAMP) });
  });

  it("PUT, PATCH and DELETE of another user's note are 404 and change nothing", async () => {
    const { user, person } = await userWithPerson();
    const { user: other, person: othersPerson } = await userWithPerson();
    const note = await createNote(user, person);
    const put = await other.put(`${BASE}${note.id}/`, { relationship: othersPerson, text: 'mine now' });
    expect(put.status).toBe(404);
    expect(put.body).toEqual(NOT_FOUND);
    expect((await other.patch(`${BASE}${note.id}/`, { status: 'ARCHIVED' })).status).toBe(404);
    expect((await other.delete(`${BASE}${note.id}/`)).status).toBe(404);
    expect(await getNote(user, note.id)).toEqual(note);
  });
});

describe('delete', () => {
  it('is soft: 204, then status DELETED; hidden from the default list, shown with ?status=DELETED', async () => {
    const { user, person } = await userWithPerson();
    const note = await createNote(user, person, { importance: 0.6 });
    const kept = await createNote(user, person, { importance: 0.3 });
    const res = await user.delete(`${BASE}${note.id}/`);
    expect(res.status).toBe(204);
    expect(res.raw).toBe('');

    const after = await getNote(user, note.id);
    expect(after).toEqual({ ...note, status: 'DELETED', updated_at: expect.stringMatching(ISO_TIMESTAMP) });
    expect(await listIds(user)).toEqual([kept.id]);
    expect(await listIds(user, '?status=DELETED')).toEqual([note.id]);
    expect((await user.get(`/api/relationships/${person}/`)).body.notes_count).toBe(1);

    const [row] = await ctx.database.db.select().from(notes).where(eq(notes.id, note.id));
    expect(row!.status).toBe('DELETED');
  });

  it('a missing note is 404', async () => {
    const { user } = await userWithPerson();
    const res = await user.delete(`${BASE}2147483647/`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });

  it('deleting the interaction keeps the note, without the interaction', async () => {
    const { user, person } = await userWithPerson();
    const call = await createInteraction(user, [person]);
    const note = await createNote(user, person, { interaction: call });
    expect((await user.delete(`/api/interactions/${call}/`)).status).toBe(204);
    expect(await getNote(user, note.id)).toEqual({ ...note, interaction: null });
    expect(await listIds(user, `?interaction=${call}`)).toEqual([]);
  });

  it('deleting the person deletes the notes', async () => {
    const { user, person } = await userWithPerson();
    const note = await createNote(user, person);
    expect((await user.delete(`/api/relationships/${person}/`)).status).toBe(204);
    expect((await user.get(`${BASE}${note.id}/`)).status).toBe(404);
    expect(await ctx.database.db.select().from(notes).where(eq(notes.id, note.id))).toEqual([]);
  });
});
