import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageQuery, pageRequest, pageSchema, paginate } from '../../infra/http/pagination.js';
import { idParams } from '../../infra/http/query.js';
import { toNoteOut } from '../notes/routes.js';
import { noteOut } from '../notes/schemas.js';
import type { NotesService } from '../notes/service.js';
import type { RelationshipDetail, RelationshipListItem } from './repository.js';
import {
  type RelationshipDetailOut,
  type RelationshipOut,
  relationshipBody,
  relationshipDetailOut,
  relationshipListQuery,
  relationshipOut,
  relationshipPatchBody,
} from './schemas.js';
import type { RelationshipsService } from './service.js';

export function toRelationshipOut(row: RelationshipListItem): RelationshipOut {
  return {
    id: row.id,
    name: row.name,
    relationship_type: row.relationshipType,
    email: row.email,
    phone: row.phone,
    company: row.company,
    birthday: row.birthday,
    how_we_met: row.howWeMet,
    tags: row.tags,
    contact_interval_days: row.contactIntervalDays,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
    last_interaction_at: row.lastInteractionAt?.toISOString() ?? null,
  };
}

function toDetailOut(row: RelationshipDetail): RelationshipDetailOut {
  return {
    ...toRelationshipOut(row),
    notes_count: row.notesCount,
    face_signatures_count: row.faceSignaturesCount,
    voice_signatures_count: row.voiceSignaturesCount,
  };
}

const tags = ['relationships'];

export const relationshipsRoutes: FastifyPluginAsyncZod<{
  relationships: RelationshipsService;
  notes: NotesService;
}> = async (app, { relationships, notes }) => {
  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'List people',
        querystring: relationshipListQuery,
        response: { 200: pageSchema(relationshipOut) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const { count, rows } = await relationships.list(request.user.id, request.query, page);
      return paginate(request, page, count, rows.map(toRelationshipOut));
    },
  );

  app.post(
    '/',
    {
      schema: {
        tags,
        summary: 'Add a person',
        body: relationshipBody,
        response: { 201: relationshipDetailOut },
      },
    },
    async (request, reply) =>
      reply.code(201).send(toDetailOut(await relationships.create(request.user.id, request.body))),
  );

  app.get(
    '/:id/',
    { schema: { tags, summary: 'One person', params: idParams, response: { 200: relationshipDetailOut } } },
    async (request) => toDetailOut(await relationships.get(request.user.id, request.params.id)),
  );

  app.put(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Replace a person (omitted optional fields keep their values)',
        params: idParams,
        body: relationshipBody,
        response: { 200: relationshipDetailOut },
      },
    },
    async (request) =>
      toDetailOut(await relationships.update(request.user.id, request.params.id, request.body)),
  );

  app.patch(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Update some fields of a person',
        params: idParams,
        body: relationshipPatchBody,
        response: { 200: relationshipDetailOut },
      },
    },
    async (request) =>
      toDetailOut(await relationships.update(request.user.id, request.params.id, request.body)),
  );

  app.delete(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Delete a person with their notes and signatures',
        params: idParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await relationships.delete(request.user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:id/notes/',
    {
      schema: {
        tags,
        summary: "A person's ACTIVE notes, most important first",
        params: idParams,
        querystring: z.object(pageQuery),
        response: { 200: pageSchema(noteOut) },
      },
    },
    async (request) => {
      await relationships.get(request.user.id, request.params.id);
      const page = pageRequest(request.query);
      const { count, rows } = await notes.listForRelationship(request.user.id, request.params.id, page);
      return paginate(request, page, count, rows.map(toNoteOut));
    },
  );
};
