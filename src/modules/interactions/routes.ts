import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageRequest, pageSchema, paginate } from '../../infra/http/pagination.js';
import { idParams } from '../../infra/http/query.js';
import type { InteractionDetail, InteractionListItem } from './repository.js';
import {
  type InteractionDetailOut,
  type InteractionOut,
  interactionBody,
  interactionDetailOut,
  interactionListQuery,
  interactionOut,
  interactionPatchBody,
} from './schemas.js';
import type { InteractionsService } from './service.js';

function toInteractionOut(row: InteractionListItem): InteractionOut {
  return {
    id: row.id,
    interaction_type: row.interactionType,
    title: row.title,
    occurred_at: row.occurredAt.toISOString(),
    duration_seconds: row.durationSeconds,
    participants: row.participants,
    summary: row.summary,
    processing_status: row.processingStatus,
    processing_error: row.processingError,
    media:
      row.mediaPath === null
        ? null
        : {
            filename: row.mediaFilename ?? '',
            content_type: row.mediaContentType ?? 'application/octet-stream',
            size: row.mediaSize ?? 0,
            duration_seconds: row.mediaDurationSeconds,
          },
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

export function toDetailOut(row: InteractionDetail): InteractionDetailOut {
  return {
    ...toInteractionOut(row),
    transcription: row.transcription,
    processing_progress: row.processingProgress,
    segments: row.segments.map((s) => ({
      start: s.start,
      end: s.end,
      text: s.text,
      speaker:
        s.voiceSignatureId === null && s.speakerName === null
          ? null
          : {
              voice_signature_id: s.voiceSignatureId,
              relationship_id: s.relationshipId,
              name: s.speakerName,
            },
    })),
    identified_participants: row.identifiedParticipants.map((p) => ({
      relationship_id: p.relationshipId,
      face_signature_id: p.faceSignatureId,
      voice_signature_id: p.voiceSignatureId,
      confidence: Math.round(p.confidence * 1e6) / 1e6,
      first_seen_at: p.firstSeenAt,
    })),
  };
}

const tags = ['interactions'];

export const interactionsRoutes: FastifyPluginAsyncZod<{ interactions: InteractionsService }> = async (
  app,
  { interactions },
) => {
  app.get(
    '/',
    {
      schema: {
        tags,
        summary: 'List interactions (without transcriptions)',
        querystring: interactionListQuery,
        response: { 200: pageSchema(interactionOut) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const { count, rows } = await interactions.list(request.user.id, request.query, page);
      return paginate(request, page, count, rows.map(toInteractionOut));
    },
  );

  app.post(
    '/',
    {
      schema: {
        tags,
        summary: 'Record an interaction',
        body: interactionBody,
        response: { 201: interactionDetailOut },
      },
    },
    async (request, reply) =>
      reply.code(201).send(toDetailOut(await interactions.create(request.user.id, request.body))),
  );

  app.get(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'One interaction with transcript, segments and identified participants',
        params: idParams,
        response: { 200: interactionDetailOut },
      },
    },
    async (request) => toDetailOut(await interactions.get(request.user.id, request.params.id)),
  );

  app.put(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Replace an interaction (omitted optional fields keep their values)',
        params: idParams,
        body: interactionBody,
        response: { 200: interactionDetailOut },
      },
    },
    async (request) =>
      toDetailOut(await interactions.update(request.user.id, request.params.id, request.body)),
  );

  app.patch(
    '/:id/',
    {
      schema: {
        tags,
        summary: 'Update some fields of an interaction',
        params: idParams,
        body: interactionPatchBody,
        response: { 200: interactionDetailOut },
      },
    },
    async (request) =>
      toDetailOut(await interactions.update(request.user.id, request.params.id, request.body)),
  );

  app.delete(
    '/:id/',
    { schema: { tags, summary: 'Delete an interaction', params: idParams, response: { 204: z.null() } } },
    async (request, reply) => {
      await interactions.delete(request.user.id, request.params.id);
      return reply.code(204).send(null);
    },
  );
};
