import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { RELATIONSHIP_TYPES } from '../../infra/db/schema.js';
import type { PersonSummary } from './repository.js';
import type { DigestService } from './service.js';

const personOut = z.object({
  id: z.number().int(),
  name: z.string(),
  relationship_type: z.enum(RELATIONSHIP_TYPES),
});
const digestOut = z.object({
  birthdays: z.array(
    z.object({
      relationship: personOut,
      birthday: z.string(),
      date: z.string().describe('The next birthday, YYYY-MM-DD'),
      days_until: z.number().int(),
      turning: z.number().int().nullable().describe('Age on that day, when the birth year is known'),
    }),
  ),
  due_to_contact: z.array(
    z.object({
      relationship: personOut,
      contact_interval_days: z.number().int(),
      last_interaction_at: z.string().nullable(),
      days_overdue: z.number().int(),
    }),
  ),
});

const person = (p: PersonSummary) => ({ id: p.id, name: p.name, relationship_type: p.relationshipType });

export const digestRoutes: FastifyPluginAsyncZod<{ digest: DigestService }> = async (app, { digest }) => {
  app.get(
    '/',
    {
      schema: {
        tags: ['digest'],
        summary: 'Upcoming birthdays and people you are due to contact',
        response: { 200: digestOut },
      },
    },
    async (request) => {
      const result = await digest.forUser(request.user.id);
      return {
        birthdays: result.birthdays.map((b) => ({
          relationship: person(b.person),
          birthday: b.birthday,
          date: b.date,
          days_until: b.daysUntil,
          turning: b.turning,
        })),
        due_to_contact: result.dueToContact.map((d) => ({
          relationship: person(d.person),
          contact_interval_days: d.intervalDays,
          last_interaction_at: d.lastContactAt?.toISOString() ?? null,
          days_overdue: d.daysOverdue,
        })),
      };
    },
  );
};
