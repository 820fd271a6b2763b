import { eq, inArray } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  faceSignatures,
  interactionParticipants,
  notes,
  relationships,
  voiceSignatures,
} from '../../src/infra/db/schema.js';
import type { Client, TestContext } from '../helpers/app.js';
import { createTestContext } from '../helpers/app.js';
import { TEST_VOICE_DIM } from '../helpers/database.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type User = Client & { userId: number; username: string };

const BASE = '/api/relationships/';
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const NOT_FOUND = { detail: 'Not found.' };
const INVALID_PAGE = { detail: 'Invalid page.' };

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(() => ctx?.close());

async function createRelationship(user: User, body: Record<string, unknown> = {}) {
  const res = await user.post(BASE, { name: 'Someone', relationship_type: 'FRIEND', ...body });
  expect(res.status, res.raw).toBe(201);
  return res.body as Record<string, any> & { id: number; name: string };
}

async function createNote(user: User, relationship: number, body: Record<string, unknown> = {}) {
  const res = await user.post('/api/notes/', { relationship, text: 'A note', ...body });
  expect(res.status, res.raw).toBe(201);
  return res.body as { id: number } & Record<string, any>;
}

async function createInteraction(user: User, participants: number[], occurredAt: string) {
  const res = await user.post('/api/interactions/', {
    interaction_type: 'MEETING',
    occurred_at: occurredAt,
    participants,
  });
  expect(res.status, res.raw).toBe(201);
  return res.body as { id: number } & Record<string, any>;
}

/** The `name`s of a list response, in order. */
async function names(user: User, query = '') {
  const res = await user.get(`${BASE}${query}`);
  expect(res.status, res.raw).toBe(200);
  expect(res.body.count).toBe(res.body.results.length);
  return res.body.results.map((r: { name: string }) => r.name) as string[];
}

async function detail(user: User, id: number) {
  const res = await user.get(`${BASE}${id}/`);
  expect(res.status, res.raw).toBe(200);
  return res.body;
}

function unitVector(dim: number): number[] {
  return Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0));
}

/** Signatures are made by media processing; tests insert them directly. */
async function addSignatures(user: User, relationshipId: number, faces: number, voices: number) {
  const db = ctx.database.db;
  for (let i = 0; i < faces; i++) {
    await db
      .insert(faceSignatures)
      .values({ userId: user.userId, relationshipId, embedding: unitVector(128) });
  }
  for (let i = 0; i < voices; i++) {
    await db
      .insert(voiceSignatures)
      .values({ userId: user.userId, relationshipId, embedding: unitVector(TEST_VOICE_DIM) });
  }
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

describe('create', () => {
  it('needs only name and type; optional text is "", birthday null, tags []', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, { name: 'Emma', relationship_type: 'FAMILY' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      name: 'Emma',
      relationship_type: 'FAMILY',
      email: '',
      phone: '',
      company: '',
      birthday: null,
      how_we_met: '',
      tags: [],
      contact_interval_days: null,
      created_at: expect.stringMatching(ISO_TIMESTAMP),
      updated_at: expect.stringMatching(ISO_TIMESTAMP),
      last_interaction_at: null,
      notes_count: 0,
      face_signatures_count: 0,
      voice_signatures_count: 0,
    });
    expect(await detail(alice, res.body.id)).toEqual(res.body);
  });

  it('stores every field; trims text; removes duplicate tags', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, {
      name: '  Noah Kim ',
      relationship_type: 'COLLEAGUE',
      email: 'noah@example.com',
      phone: '+44 20 7946 0958',
      company: 'Initech',
      birthday: '1990-02-28',
      how_we_met: 'At the conference in Lisbon.',
      tags: ['work', 'lisbon', 'work'],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      name: 'Noah Kim',
      relationship_type: 'COLLEAGUE',
      email: 'noah@example.com',
      phone: '+44 20 7946 0958',
      company: 'Initech',
      birthday: '1990-02-28',
      how_we_met: 'At the conference in Lisbon.',
      tags: ['work', 'lisbon'],
    });
    expect(await detail(alice, res.body.id)).toEqual(res.body);
  });

  it('accepts a leap day and an explicit null birthday', async () => {
    const alice = await ctx.signUp();
    expect((await createRelationship(alice, { birthday: '2024-02-29' })).birthday).toBe('2024-02-29');
    expect((await createRelationship(alice, { birthday: null })).birthday).toBeNull();
  });

  it('ignores read-only and unknown fields', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, {
      name: 'Emma',
      relationship_type: 'FAMILY',
      id: 999_999,
      created_at: '2000-01-01T00:00:00Z',
      last_interaction_at: '2000-01-01T00:00:00Z',
      notes_count: 7,
      user: 1,
      favourite_colour: 'green',
    });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe(999_999);
    expect(res.body.last_interaction_at).toBeNull();
    expect(res.body.notes_count).toBe(0);
    expect(res.body).not.toHaveProperty('favourite_colour');
    expect(res.body).not.toHaveProperty('user');
  });

  it('requires name and relationship_type', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, { email: 'x@example.com' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      name: ['This field is required.'],
      relationship_type: ['This field is required.'],
    });
  });

  it('refuses a blank or too long name', async () => {
    const alice = await ctx.signUp();
    const blank = await alice.post(BASE, { name: '   ', relationship_type: 'FRIEND' });
    expect(blank.status).toBe(400);
    expect(blank.body).toEqual({ name: ['This field may not be blank.'] });
    const long = await alice.post(BASE, { name: 'x'.repeat(256), relationship_type: 'FRIEND' });
    expect(long.status).toBe(400);
    expect(long.body).toEqual({ name: ['Ensure this field has no more than 255 characters.'] });
  });

  it('refuses an unknown relationship_type', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, { name: 'Emma', relationship_type: 'SPOUSE' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ relationship_type: ['"SPOUSE" is not a valid choice.'] });
    const lower = await alice.post(BASE, { name: 'Emma', relationship_type: 'family' });
    expect(lower.status).toBe(400);
    expect(lower.body).toEqual({ relationship_type: ['"family" is not a valid choice.'] });
  });

  it('refuses impossible or malformed birthdays', async () => {
    const alice = await ctx.signUp();
    for (const birthday of ['2026-02-30', '2025-02-29', '2026-13-01', '1990-1-1', '01/02/1990', '']) {
      const res = await alice.post(BASE, { name: 'Emma', relationship_type: 'FAMILY', birthday });
      expect(res.status, birthday).toBe(400);
      expect(res.body).toEqual({
        birthday: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'],
      });
    }
  });

  it('refuses an invalid email but accepts ""', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, { name: 'Emma', relationship_type: 'FAMILY', email: 'emma-at-home' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ email: ['Enter a valid email address.'] });
    expect((await createRelationship(alice, { email: '' })).email).toBe('');
  });

  it('refuses wrong types with 400, never 500', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, { name: 42, relationship_type: 'FAMILY', tags: 'golf' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      name: ['Not a valid string.'],
      tags: ['Expected a list of items but got type "str".'],
    });
    const nulls = await alice.post(BASE, { name: null, relationship_type: null });
    expect(nulls.status).toBe(400);
    expect(nulls.body).toEqual({
      name: ['This field may not be null.'],
      relationship_type: ['This field may not be null.'],
    });
  });

  it('refuses a body that is not a JSON object', async () => {
    const alice = await ctx.signUp();
    const res = await alice.post(BASE, ['Emma', 'FAMILY']);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ non_field_errors: ['Invalid data. Expected a dictionary, but got list.'] });
  });

  it('refuses malformed JSON with a detail', async () => {
    const alice = await ctx.signUp();
    const res = await alice.request('POST', BASE, '{"name": "Emma",', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/^JSON parse error/);
  });
});

// ---------------------------------------------------------------------------------------------
// Detail and counts
// ---------------------------------------------------------------------------------------------

describe('detail', () => {
  it('counts ACTIVE notes and the signatures of the person', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, { name: 'Emma' });
    const other = await createRelationship(alice, { name: 'Other' });

    const n1 = await createNote(alice, emma.id);
    const n2 = await createNote(alice, emma.id);
    await createNote(alice, emma.id);
    await createNote(alice, other.id);
    expect((await detail(alice, emma.id)).notes_count).toBe(3);

    expect((await alice.patch(`/api/notes/${n1.id}/`, { status: 'ARCHIVED' })).status).toBe(200);
    expect((await detail(alice, emma.id)).notes_count).toBe(2);
    expect((await alice.delete(`/api/notes/${n2.id}/`)).status).toBe(204);
    expect((await detail(alice, emma.id)).notes_count).toBe(1);
    expect((await alice.patch(`/api/notes/${n1.id}/`, { status: 'ACTIVE' })).status).toBe(200);
    expect((await detail(alice, emma.id)).notes_count).toBe(2);

    await addSignatures(alice, emma.id, 2, 1);
    await addSignatures(alice, other.id, 1, 3);
    expect(await detail(alice, emma.id)).toMatchObject({
      notes_count: 2,
      face_signatures_count: 2,
      voice_signatures_count: 1,
    });
    expect(await detail(alice, other.id)).toMatchObject({
      notes_count: 1,
      face_signatures_count: 1,
      voice_signatures_count: 3,
    });
  });

  it('lists do not carry the counts', async () => {
    const alice = await ctx.signUp();
    await createRelationship(alice);
    const list = await alice.get(BASE);
    expect(Object.keys(list.body.results[0]).sort()).toEqual(
      [
        'birthday',
        'company',
        'contact_interval_days',
        'created_at',
        'email',
        'how_we_met',
        'id',
        'last_interaction_at',
        'name',
        'phone',
        'relationship_type',
        'tags',
        'updated_at',
      ].sort(),
    );
  });

  it("another user's, a missing or a malformed id is 404", async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const emma = await createRelationship(alice);
    for (const url of [`${BASE}${emma.id}/`, `${BASE}2147483647/`, `${BASE}0/`, `${BASE}abc/`]) {
      const res = await bob.get(url);
      expect(res.status, url).toBe(404);
      expect(res.body).toEqual(NOT_FOUND);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// PUT, PATCH, DELETE
// ---------------------------------------------------------------------------------------------

describe('update', () => {
  const full = {
    name: 'Emma',
    relationship_type: 'FAMILY',
    email: 'emma@example.com',
    phone: '555-0100',
    company: 'Acme',
    birthday: '1988-07-14',
    how_we_met: 'Cousin',
    tags: ['family', 'summer'],
  };

  it('PUT requires name and relationship_type', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, full);
    const res = await alice.put(`${BASE}${emma.id}/`, { phone: '555-0199' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      name: ['This field is required.'],
      relationship_type: ['This field is required.'],
    });
    expect(await detail(alice, emma.id)).toEqual(emma);
  });

  it('PUT replaces the given fields and keeps omitted optional ones', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, full);
    const res = await alice.put(`${BASE}${emma.id}/`, {
      name: 'Emma Stone',
      relationship_type: 'FRIEND',
      phone: '',
      tags: ['climbing'],
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...emma,
      name: 'Emma Stone',
      relationship_type: 'FRIEND',
      phone: '',
      tags: ['climbing'],
      updated_at: expect.stringMatching(ISO_TIMESTAMP),
    });
    expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(emma.updated_at));
    expect(res.body.created_at).toBe(emma.created_at);
    expect(await detail(alice, emma.id)).toEqual(res.body);
  });

  it('PUT accepts back what GET returned', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, full);
    const res = await alice.put(`${BASE}${emma.id}/`, emma);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...emma, updated_at: expect.stringMatching(ISO_TIMESTAMP) });
  });

  it('PATCH changes only the given fields', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, full);
    const res = await alice.patch(`${BASE}${emma.id}/`, { company: 'Globex', birthday: null });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      ...emma,
      company: 'Globex',
      birthday: null,
      updated_at: expect.stringMatching(ISO_TIMESTAMP),
    });
    const empty = await alice.patch(`${BASE}${emma.id}/`, {});
    expect(empty.status).toBe(200);
    expect(empty.body).toMatchObject({ company: 'Globex', name: 'Emma', tags: ['family', 'summer'] });
  });

  it('PATCH validates what it is given', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, full);
    const cases: [Record<string, unknown>, Record<string, string[]>][] = [
      [{ name: '' }, { name: ['This field may not be blank.'] }],
      [{ relationship_type: 'ENEMY' }, { relationship_type: ['"ENEMY" is not a valid choice.'] }],
      [
        { birthday: '2026-02-30' },
        { birthday: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'] },
      ],
      [{ email: 'no' }, { email: ['Enter a valid email address.'] }],
      [{ tags: ['ok', ''] }, { tags: ['Item 1: This field may not be blank.'] }],
    ];
    for (const [body, errors] of cases) {
      const res = await alice.patch(`${BASE}${emma.id}/`, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body).toEqual(errors);
    }
    expect(await detail(alice, emma.id)).toEqual(emma);
  });

  it("PUT and PATCH of another user's relationship are 404 and change nothing", async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const emma = await createRelationship(alice, full);
    const put = await bob.put(`${BASE}${emma.id}/`, { name: 'Hacked', relationship_type: 'OTHER' });
    expect(put.status).toBe(404);
    expect(put.body).toEqual(NOT_FOUND);
    const patch = await bob.patch(`${BASE}${emma.id}/`, { name: 'Hacked' });
    expect(patch.status).toBe(404);
    expect(await detail(alice, emma.id)).toEqual(emma);
  });
});

describe('delete', () => {
  it('204, then 404; its notes, signatures and participations go with it', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, { name: 'Emma' });
    const noah = await createRelationship(alice, { name: 'Noah' });
    const n1 = await createNote(alice, emma.id);
    const n2 = await createNote(alice, emma.id, { status: 'ARCHIVED' });
    const kept = await createNote(alice, noah.id);
    await addSignatures(alice, emma.id, 1, 1);
    const meeting = await createInteraction(alice, [emma.id, noah.id], '2025-05-01T10:00:00Z');

    const res = await alice.delete(`${BASE}${emma.id}/`);
    expect(res.status).toBe(204);
    expect(res.raw).toBe('');

    expect((await alice.get(`${BASE}${emma.id}/`)).status).toBe(404);
    const again = await alice.delete(`${BASE}${emma.id}/`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual(NOT_FOUND);

    const db = ctx.database.db;
    const noteRows = await db
      .select({ id: notes.id })
      .from(notes)
      .where(inArray(notes.id, [n1.id, n2.id, kept.id]));
    expect(noteRows.map((r) => r.id)).toEqual([kept.id]);
    expect(await db.select().from(faceSignatures).where(eq(faceSignatures.relationshipId, emma.id))).toEqual(
      [],
    );
    expect(
      await db.select().from(voiceSignatures).where(eq(voiceSignatures.relationshipId, emma.id)),
    ).toEqual([]);
    expect(
      await db
        .select()
        .from(interactionParticipants)
        .where(eq(interactionParticipants.interactionId, meeting.id)),
    ).toEqual([{ interactionId: meeting.id, relationshipId: noah.id }]);

    // The interaction itself stays, with the remaining participant.
    const interaction = await alice.get(`/api/interactions/${meeting.id}/`);
    expect(interaction.status).toBe(200);
    expect(interaction.body.participants).toEqual([noah.id]);
    expect(await names(alice)).toEqual(['Noah']);
  });

  it("another user's relationship is 404 and stays", async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const emma = await createRelationship(alice);
    const res = await bob.delete(`${BASE}${emma.id}/`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
    const rows = await ctx.database.db.select().from(relationships).where(eq(relationships.id, emma.id));
    expect(rows).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------------------------
// List: filters, search, ordering
// ---------------------------------------------------------------------------------------------

describe('list filters and search', () => {
  let alice: User;
  let bob: User;
  beforeAll(async () => {
    alice = await ctx.signUp();
    bob = await ctx.signUp();
    await createRelationship(alice, {
      name: 'Alice Walker',
      relationship_type: 'FRIEND',
      email: 'awalker@mail.test',
      phone: '+1 555 0101',
      tags: ['Golf', 'Book club'],
    });
    await createRelationship(alice, {
      name: 'Khalid Ali',
      relationship_type: 'COLLEAGUE',
      email: 'khalid@work.test',
      phone: '+44 20 0000',
      tags: ['work'],
    });
    await createRelationship(alice, {
      name: 'Zoe Park',
      relationship_type: 'FAMILY',
      email: 'zoe@home.test',
      phone: '0777 123',
      tags: ['golf'],
    });
    await createRelationship(alice, { name: '100% Pure', relationship_type: 'BUSINESS' });
    await createRelationship(alice, { name: 'Purer 100', relationship_type: 'BUSINESS' });
    await createRelationship(alice, { name: 'snake_case', relationship_type: 'OTHER' });
    await createRelationship(alice, { name: 'snakeXcase', relationship_type: 'OTHER' });
    // Bob's people must never show in Alice's lists.
    await createRelationship(bob, { name: 'Alice Walker', relationship_type: 'FRIEND', tags: ['golf'] });
  });

  it('lists only the own relationships, by name by default', async () => {
    // Names chosen to sort alike under the C collation (PGlite) and a server's locale collation.
    expect(await names(alice)).toEqual([
      '100% Pure',
      'Alice Walker',
      'Khalid Ali',
      'Purer 100',
      'snake_case',
      'snakeXcase',
      'Zoe Park',
    ]);
    expect(await names(bob)).toEqual(['Alice Walker']);
  });

  it('filters by relationship_type', async () => {
    expect(await names(alice, '?relationship_type=BUSINESS')).toEqual(['100% Pure', 'Purer 100']);
    expect(await names(alice, '?relationship_type=ACQUAINTANCE')).toEqual([]);
  });

  it('refuses an unknown relationship_type filter', async () => {
    const res = await alice.get(`${BASE}?relationship_type=NOPE`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ relationship_type: ['"NOPE" is not a valid choice.'] });
  });

  it('treats empty filter values as absent, as django-filter does', async () => {
    expect(await names(alice, '?relationship_type=&tag=&search=')).toHaveLength(7);
  });

  it('filters by a whole tag, case-insensitively', async () => {
    expect(await names(alice, '?tag=golf')).toEqual(['Alice Walker', 'Zoe Park']);
    expect(await names(alice, '?tag=GOLF')).toEqual(['Alice Walker', 'Zoe Park']);
    expect(await names(alice, '?tag=book%20club')).toEqual(['Alice Walker']);
    expect(await names(alice, '?tag=gol')).toEqual([]);
    expect(await names(alice, '?tag=golf&relationship_type=FAMILY')).toEqual(['Zoe Park']);
  });

  it('searches name, email and phone, case-insensitively', async () => {
    expect(await names(alice, '?search=ALI')).toEqual(['Alice Walker', 'Khalid Ali']);
    expect(await names(alice, '?search=work.test')).toEqual(['Khalid Ali']);
    expect(await names(alice, '?search=0777')).toEqual(['Zoe Park']);
    expect(await names(alice, '?search=555')).toEqual(['Alice Walker']);
    expect(await names(alice, '?search=nobody')).toEqual([]);
  });

  it('requires every search term to match (AND)', async () => {
    expect(await names(alice, '?search=ali%20walker')).toEqual(['Alice Walker']);
    expect(await names(alice, '?search=ali%20%2B44')).toEqual(['Khalid Ali']);
    expect(await names(alice, '?search=%20%20alice%20%20awalker%20')).toEqual(['Alice Walker']);
    expect(await names(alice, '?search=alice%20zoe')).toEqual([]);
  });

  it('matches % and _ literally', async () => {
    expect(await names(alice, '?search=100%25')).toEqual(['100% Pure']);
    expect(await names(alice, '?search=e_c')).toEqual(['snake_case']);
    expect(await names(alice, '?search=_')).toEqual(['snake_case']);
    expect(await names(alice, '?search=%25')).toEqual(['100% Pure']);
  });

  it('never finds another user’s people', async () => {
    expect(await names(bob, '?search=khalid')).toEqual([]);
    expect(await names(bob, '?tag=work')).toEqual([]);
  });
});

describe('list ordering', () => {
  let alice: User;
  let ids: Record<string, number>;
  beforeAll(async () => {
    alice = await ctx.signUp();
    ids = {};
    // Created in this order: created_at follows it.
    for (const name of ['charlie', 'Bob', 'alice', 'Dave']) {
      ids[name] = (await createRelationship(alice, { name })).id;
    }
  });

  it('orders by name case-insensitively, both ways', async () => {
    expect(await names(alice, '?ordering=name')).toEqual(['alice', 'Bob', 'charlie', 'Dave']);
    expect(await names(alice, '?ordering=-name')).toEqual(['Dave', 'charlie', 'Bob', 'alice']);
  });

  it('orders by created_at, both ways', async () => {
    expect(await names(alice, '?ordering=created_at')).toEqual(['charlie', 'Bob', 'alice', 'Dave']);
    expect(await names(alice, '?ordering=-created_at')).toEqual(['Dave', 'alice', 'Bob', 'charlie']);
  });

  it('ignores unknown ordering fields (default: name)', async () => {
    expect(await names(alice, '?ordering=email')).toEqual(['alice', 'Bob', 'charlie', 'Dave']);
    expect(await names(alice, '?ordering=-nonsense,-name')).toEqual(['Dave', 'charlie', 'Bob', 'alice']);
  });

  it('derives last_interaction_at from interactions and orders by it (never-met last)', async () => {
    // The latest interaction of each counts, whatever the order they were recorded in.
    await createInteraction(alice, [ids.alice!], '2025-01-01T09:00:00Z');
    await createInteraction(alice, [ids.alice!, ids.Bob!], '2025-01-15T12:30:00Z');
    await createInteraction(alice, [ids.Bob!], '2025-02-01T00:00:00+02:00');
    await createInteraction(alice, [ids.alice!], '2025-03-01T12:30:00Z');
    await createInteraction(alice, [ids.charlie!], '2024-12-24T18:00:00Z');

    const list = await alice.get(`${BASE}?ordering=-last_interaction_at`);
    expect(list.status).toBe(200);
    expect(
      list.body.results.map((r: { name: string; last_interaction_at: string | null }) => [
        r.name,
        r.last_interaction_at,
      ]),
    ).toEqual([
      ['alice', '2025-03-01T12:30:00.000Z'],
      ['Bob', '2025-01-31T22:00:00.000Z'],
      ['charlie', '2024-12-24T18:00:00.000Z'],
      ['Dave', null],
    ]);
    expect(await names(alice, '?ordering=last_interaction_at')).toEqual(['charlie', 'Bob', 'alice', 'Dave']);
    expect((await detail(alice, ids.Bob!)).last_interaction_at).toBe('2025-01-31T22:00:00.000Z');
    expect((await detail(alice, ids.Dave!)).last_interaction_at).toBeNull();
  });

  it('last_interaction_at follows changes to interactions', async () => {
    const bob = await ctx.signUp();
    const emma = await createRelationship(bob, { name: 'Emma' });
    const meeting = await createInteraction(bob, [emma.id], '2025-06-01T08:00:00Z');
    expect((await detail(bob, emma.id)).last_interaction_at).toBe('2025-06-01T08:00:00.000Z');

    await bob.patch(`/api/interactions/${meeting.id}/`, { occurred_at: '2025-07-15T10:15:00Z' });
    expect((await detail(bob, emma.id)).last_interaction_at).toBe('2025-07-15T10:15:00.000Z');

    await bob.patch(`/api/interactions/${meeting.id}/`, { participants: [] });
    expect((await detail(bob, emma.id)).last_interaction_at).toBeNull();

    await bob.patch(`/api/interactions/${meeting.id}/`, { participants: [emma.id] });
    expect((await bob.delete(`/api/interactions/${meeting.id}/`)).status).toBe(204);
    expect((await detail(bob, emma.id)).last_interaction_at).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// Pagination and URLs
// ---------------------------------------------------------------------------------------------

describe('pagination', () => {
  let alice: User;
  beforeAll(async () => {
    alice = await ctx.signUp();
    for (const name of ['A1', 'A2', 'A3', 'A4', 'A5']) await createRelationship(alice, { name });
  });

  it('pages with count and absolute next/previous URLs', async () => {
    const first = await alice.get(`${BASE}?page_size=2`);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      count: 5,
      next: 'http://localhost/api/relationships/?page_size=2&page=2',
      previous: null,
    });
    expect(first.body.results.map((r: { name: string }) => r.name)).toEqual(['A1', 'A2']);

    const second = await alice.get(`${BASE}?page_size=2&page=2`);
    expect(second.body).toMatchObject({
      count: 5,
      next: 'http://localhost/api/relationships/?page_size=2&page=3',
      previous: 'http://localhost/api/relationships/?page_size=2',
    });
    expect(second.body.results.map((r: { name: string }) => r.name)).toEqual(['A3', 'A4']);

    const last = await alice.get(`${BASE}?page_size=2&page=3`);
    expect(last.body).toMatchObject({
      count: 5,
      next: null,
      previous: 'http://localhost/api/relationships/?page_size=2&page=2',
    });
    expect(last.body.results.map((r: { name: string }) => r.name)).toEqual(['A5']);
  });

  it('keeps filters and ordering in the page URLs', async () => {
    const res = await alice.get(`${BASE}?ordering=-name&search=a&page_size=1&page=2`);
    expect(res.body.results.map((r: { name: string }) => r.name)).toEqual(['A4']);
    expect(res.body.next).toBe(
      'http://localhost/api/relationships/?ordering=-name&search=a&page_size=1&page=3',
    );
    expect(res.body.previous).toBe('http://localhost/api/relationships/?ordering=-name&search=a&page_size=1');
  });

  it('uses the default page size of 50 for a missing or invalid page_size', async () => {
    for (const query of ['', '?page_size=0', '?page_size=abc', '?page_size=-3']) {
      const res = await alice.get(`${BASE}${query}`);
      expect(res.status, query).toBe(200);
      expect(res.body).toMatchObject({ count: 5, next: null, previous: null });
      expect(res.body.results).toHaveLength(5);
    }
  });

  it('caps page_size at 200', async () => {
    const bulk = await ctx.signUp();
    await ctx.database.db.insert(relationships).values(
      Array.from({ length: 201 }, (_, i) => ({
        userId: bulk.userId,
        name: `P${String(i).padStart(3, '0')}`,
        relationshipType: 'OTHER' as const,
      })),
    );
    const res = await bulk.get(`${BASE}?page_size=500`);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(201);
    expect(res.body.results).toHaveLength(200);
    expect(res.body.results[199].name).toBe('P199');
    expect(res.body.next).toBe('http://localhost/api/relationships/?page_size=500&page=2');
    const second = await bulk.get(`${BASE}?page_size=500&page=2`);
    expect(second.body.results.map((r: { name: string }) => r.name)).toEqual(['P200']);
    const defaultSize = await bulk.get(BASE);
    expect(defaultSize.body.results).toHaveLength(50);
  });

  it('a page past the end, page=0, a negative or non-numeric page is 404 Invalid page.', async () => {
    for (const page of ['4', '0', '-1', 'abc', '1.5']) {
      const res = await alice.get(`${BASE}?page_size=2&page=${page}`);
      expect(res.status, `page=${page}`).toBe(404);
      expect(res.body).toEqual(INVALID_PAGE);
    }
  });

  it('page 1 of an empty list is 200; page 2 is 404', async () => {
    const empty = await ctx.signUp();
    const res = await empty.get(BASE);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ count: 0, next: null, previous: null, results: [] });
    expect((await empty.get(`${BASE}?page=2`)).status).toBe(404);
  });

  it('accepts every path without its trailing slash', async () => {
    const bob = await ctx.signUp();
    const created = await bob.post('/api/relationships', { name: 'Emma', relationship_type: 'FAMILY' });
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect((await bob.get('/api/relationships')).body.count).toBe(1);
    expect((await bob.get(`/api/relationships/${id}`)).body.name).toBe('Emma');
    expect((await bob.patch(`/api/relationships/${id}`, { phone: '1' })).body.phone).toBe('1');
    expect((await bob.get(`/api/relationships/${id}/notes`)).body.count).toBe(0);
    expect((await bob.delete(`/api/relationships/${id}`)).status).toBe(204);
  });
});

// ---------------------------------------------------------------------------------------------
// GET /{id}/notes/
// ---------------------------------------------------------------------------------------------

describe("a person's notes", () => {
  it('returns only ACTIVE notes, most important first, newest first on ties', async () => {
    const alice = await ctx.signUp();
    const emma = await createRelationship(alice, { name: 'Emma' });
    const noah = await createRelationship(alice, { name: 'Noah' });
    const low = await createNote(alice, emma.id, { text: 'low', importance: 0.2 });
    const olderTie = await createNote(alice, emma.id, { text: 'older tie', importance: 0.6 });
    const high = await createNote(alice, emma.id, { text: 'high', importance: 0.9 });
    const newerTie = await createNote(alice, emma.id, { text: 'newer tie', importance: 0.6 });
    await createNote(alice, emma.id, { text: 'archived', importance: 1, status: 'ARCHIVED' });
    const deleted = await createNote(alice, emma.id, { text: 'deleted', importance: 0.95 });
    await alice.delete(`/api/notes/${deleted.id}/`);
    await createNote(alice, noah.id, { text: 'noah', importance: 0.99 });

    const res = await alice.get(`${BASE}${emma.id}/notes/`);
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(4);
    expect(res.body.next).toBeNull();
    expect(res.body.results.map((n: { id: number }) => n.id)).toEqual([
      high.id,
      newerTie.id,
      olderTie.id,
      low.id,
    ]);
    expect(res.body.results[0]).toEqual(high);

    const paged = await alice.get(`${BASE}${emma.id}/notes/?page_size=3&page=2`);
    expect(paged.body.results.map((n: { id: number }) => n.id)).toEqual([low.id]);
    expect(paged.body.previous).toBe(`http://localhost/api/relationships/${emma.id}/notes/?page_size=3`);
    expect((await alice.get(`${BASE}${emma.id}/notes/?page=3`)).body).toEqual(INVALID_PAGE);
  });

  it("another user's person is 404", async () => {
    const alice = await ctx.signUp();
    const bob = await ctx.signUp();
    const emma = await createRelationship(alice);
    await createNote(alice, emma.id);
    const res = await bob.get(`${BASE}${emma.id}/notes/`);
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});
