import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { pageRequest, pageSchema, paginate } from '../../infra/http/pagination.js';
import { idParams } from '../../infra/http/query.js';
import type { SignatureKind, SignatureRow } from './repository.js';
import { assignBody, faceSignatureOut, signatureListQuery, voiceSignatureOut } from './schemas.js';
import type { SignaturesService } from './service.js';

function toSignatureOut(row: SignatureRow) {
  return {
    id: row.id,
    relationship: row.relationshipId,
    sample_count: row.sampleCount,
    first_seen_at: row.firstSeenAt.toISOString(),
    last_seen_at: row.lastSeenAt.toISOString(),
    created_at: row.createdAt.toISOString(),
  };
}

export function toFaceOut(row: SignatureRow) {
  return {
    ...toSignatureOut(row),
    thumbnail_url: row.thumbnailPath ? `/api/signatures/faces/${row.id}/thumbnail/` : null,
  };
}

export function toVoiceOut(row: SignatureRow) {
  return {
    ...toSignatureOut(row),
    sample_url: row.samplePath ? `/api/signatures/voices/${row.id}/sample/` : null,
  };
}

const tags = ['signatures'];

/** The same four routes for faces and voices, and each kind's stored file: a thumbnail, a voice sample. */
export const signaturesRoutes: FastifyPluginAsyncZod<{ signatures: SignaturesService }> = async (
  app,
  { signatures },
) => {
  const kinds = [
    {
      kind: 'face',
      path: 'faces',
      out: faceSignatureOut,
      toOut: toFaceOut,
      file: { path: 'thumbnail', type: 'image/jpeg', summary: 'The JPEG thumbnail of a face signature' },
    },
    {
      kind: 'voice',
      path: 'voices',
      out: voiceSignatureOut,
      toOut: toVoiceOut,
      file: { path: 'sample', type: 'audio/wav', summary: 'A few seconds of the voice (16 kHz WAV)' },
    },
  ] as const satisfies readonly {
    kind: SignatureKind;
    path: string;
    out: z.ZodType;
    toOut: unknown;
    file: { path: string; type: string; summary: string };
  }[];

  for (const { kind, path, out, toOut, file } of kinds) {
    app.get(
      `/${path}/`,
      {
        schema: {
          tags,
          summary: `List ${kind} signatures (unassigned=true: unknown people)`,
          querystring: signatureListQuery,
          response: { 200: pageSchema(out) },
        },
      },
      async (request) => {
        const page = pageRequest(request.query);
        const { count, rows } = await signatures.list(request.user.id, kind, request.query, page);
        return paginate(
          request,
          page,
          count,
          rows.map((row) => toOut(row)),
        );
      },
    );

    app.get(
      `/${path}/:id/`,
      { schema: { tags, summary: `One ${kind} signature`, params: idParams, response: { 200: out } } },
      async (request) => toOut(await signatures.get(request.user.id, kind, request.params.id)),
    );

    app.patch(
      `/${path}/:id/`,
      {
        schema: {
          tags,
          summary: `Assign a ${kind} to a person (merging with their signature) or unassign it`,
          params: idParams,
          body: assignBody,
          response: { 200: out },
        },
      },
      async (request) =>
        toOut(await signatures.assign(request.user.id, kind, request.params.id, request.body.relationship)),
    );

    app.get(
      `/${path}/:id/${file.path}/`,
      { schema: { tags, summary: file.summary, params: idParams } },
      async (request, reply) => {
        const stored = await signatures.storedFile(request.user.id, kind, request.params.id);
        return reply
          .header('content-type', file.type)
          .header('content-length', stored.size)
          .header('cache-control', 'private, max-age=3600')
          .send(stored.stream);
      },
    );

    app.delete(
      `/${path}/:id/`,
      {
        schema: {
          tags,
          summary: `Delete a ${kind} signature`,
          params: idParams,
          response: { 204: z.null() },
        },
      },
      async (request, reply) => {
        await signatures.delete(request.user.id, kind, request.params.id);
        return reply.code(204).send(null);
      },
    );
  }
};
