import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageRequest, pageSchema, paginate } from '../../infra/http/pagination.js';
import { idParams } from '../../infra/http/query.js';
import type { NoteRow } from './repository.js';
import { type NoteOut, noteBody, noteListQuery, noteOut, notePatchBody } from './schemas.js';
import type { NotesService } from './service.js';

export function toNoteOut(row: NoteRow): NoteOut {
  return {
    id: row.id,
    relationship: row.relationshipId,
    interaction: row.interactionId,
    text: row.text,
    category: row.category,
    // `real` is single precision: round so 0.7 reads back as 0.7, not 0.699999988.
    importance: Math.round(row.importance * 1e6) / 1e6,
    status: row.status,
    source: row.source,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const tags = ['notes'];

export const notesRoutes: FastifyPluginAsyncZod<{ notes: NotesService }> = async (app, { notes }) => {
  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'List notes',
        querystring: noteListQuery,
        response: { 200: pageSchema(noteOut) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const { count, rows } = await notes.list(request.user.id, request.query, page);
      return paginate(request, page, count, rows.map(toNoteOut));
    },
  );

  app.post(
    '/',
    { schema: { tags, summary: 'Write a note by hand', body: noteBody, response: { 201: noteOut } } },
    async (request, reply) =>
      reply.code(201).send(toNoteOut(await notes.create(request.user.id, request.body))),
  );

  app.get(
    '/:id/',
    { schema: { tags, summary: 'One note', params: idParams, response: { 200: noteOut } } },
    async (request) => toNoteOut(await notes.get(request.user.id, request.params.id)),
  );

  app.put(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Replace a note',
        params: idParams,
        body: noteBody,
        response: { 200: noteOut },
      },
    },
    async (request) => toNoteOut(await notes.update(request.user.id, request.params.id, request.body)),
  );

  app.patch(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Update a note (e.g. archive it)',
        params: idParams,
        body: notePatchBody,
        response: { 200: noteOut },
      },
    },
    async (request) => toNoteOut(await notes.update(request.user.id, request.params.id, request.body)),
  );

  app.delete(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Delete a note (soft: status DELETED)',
        params: idParams,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await notes.delete(request.user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
