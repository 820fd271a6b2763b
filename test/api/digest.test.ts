import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextBirthday } from '../../src/modules/digest/service.js';
import { createTestContext, type TestContext } from '../helpers/app.js';

const DAY = 24 * 3600 * 1000;
const iso = (d: Date) => d.toISOString().slice(0, 10);
/** A birthday `days` from today, in year `year`. */
const birthdayIn = (days: number, year: number) =>
  `${String(year).padStart(4, '0')}${iso(new Date(Date.now() + days * DAY)).slice(4)}`;

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext({ DIGEST_CONTACT_INTERVAL_DAYS: '90', DIGEST_BIRTHDAY_DAYS: '14' });
});
afterAll(() => ctx?.close());

describe('GET /api/digest/', () => {
  it('lists birthdays in the next 14 days, soonest first, with the age when the year is known', async () => {
    const alice = await ctx.signUp();
    const add = async (name: string, birthday: string) =>
      (await alice.post('/api/relationships/', { name, relationship_type: 'FRIEND', birthday })).body
        .id as number;
    const soon = await add('Soon', birthdayIn(3, 1990));
    const unknownYear = await add('No year', birthdayIn(5, 1));
    const today = await add('Today', birthdayIn(0, 2000));
    await add('Later', birthdayIn(20, 1980));
    await add('Yesterday', birthdayIn(-1, 1985));

    const res = await alice.get('/api/digest/');
    expect(res.status).toBe(200);
    expect(res.body.birthdays.map((b: { relationship: { id: number } }) => b.relationship.id)).toEqual([
      today,
      soon,
      unknownYear,
    ]);
    const [first, second, third] = res.body.birthdays;
    expect(first).toMatchObject({ days_until: 0, date: iso(new Date()) });
    expect(second).toMatchObject({
      relationship: { id: soon, name: 'Soon', relationship_type: 'FRIEND' },
      days_until: 3,
      date: iso(new Date(Date.now() + 3 * DAY)),
      turning: new Date(Date.now() + 3 * DAY).getUTCFullYear() - 1990,
    });
    expect(third.turning).toBeNull();
  });

  it('lists people not contacted for longer than their interval (or the default), most overdue first', async () => {
    const alice = await ctx.signUp();
    const add = async (name: string, extra: Record<string, unknown> = {}) =>
      (await alice.post('/api/relationships/', { name, relationship_type: 'FRIEND', ...extra })).body
        .id as number;
    const call = async (who: number, daysAgo: number) =>
      alice.post('/api/interactions/', {
        interaction_type: 'PHONE_CALL',
        participants: [who],
        occurred_at: new Date(Date.now() - daysAgo * DAY).toISOString(),
      });
    const longAgo = await add('Long ago');
    await call(longAgo, 100);
    const weekly = await add('Weekly', { contact_interval_days: 7 });
    await call(weekly, 10);
    const recent = await add('Recent');
    await call(recent, 5);
    await call(recent, 200);
    const neverButNew = await add('Just added');
    const neverOld = await add('Added long ago');
    await ctx.database.db.execute(
      sql`update relationships set created_at = now() - interval '120 days' where id = ${neverOld}`,
    );
    // A meeting planned next week is not contact yet.
    const planned = await add('Planned');
    await call(planned, 95);
    await call(planned, -7);

    const res = await alice.get('/api/digest/');
    const due = res.body.due_to_contact as {
      relationship: { id: number };
      days_overdue: number;
      contact_interval_days: number;
      last_interaction_at: string | null;
    }[];
    expect(due.map((d) => d.relationship.id)).toEqual([neverOld, longAgo, planned, weekly]);
    expect(due.map((d) => d.days_overdue)).toEqual([30, 10, 5, 3]);
    expect(due.find((d) => d.relationship.id === weekly)?.contact_interval_days).toBe(7);
    expect(due.find((d) => d.relationship.id === neverOld)?.last_interaction_at).toBeNull();
    expect(due.map((d) => d.relationship.id)).not.toContain(recent);
    expect(due.map((d) => d.relationship.id)).not.toContain(neverButNew);

    // Another user sees none of it.
    const bob = await ctx.signUp();
    expect((await bob.get('/api/digest/')).body).toEqual({ birthdays: [], due_to_contact: [] });
  });

  it('needs a token', async () => {
    expect((await ctx.anonymous.get('/api/digest/')).status).toBe(401);
  });
});

describe('nextBirthday', () => {
  it('handles the turn of the year and 29 February', () => {
    const dec31 = new Date('2026-12-31T12:00:00Z');
    expect(nextBirthday('1990-01-01', dec31)).toEqual({ date: new Date('2027-01-01T00:00:00Z'), year: 2027 });
    expect(nextBirthday('1990-12-31', dec31).year).toBe(2026);
    expect(nextBirthday('2000-02-29', new Date('2027-01-10T00:00:00Z')).date).toEqual(
      new Date('2027-02-28T00:00:00Z'),
    );
    expect(nextBirthday('2000-02-29', new Date('2028-01-10T00:00:00Z')).date).toEqual(
      new Date('2028-02-29T00:00:00Z'),
    );
  });
});
