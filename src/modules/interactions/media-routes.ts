import '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError, badRequest } from '../../infra/http/errors.js';
import { idParams } from '../../infra/http/query.js';
import { type ByteRange, RangeNotSatisfiableError } from '../../infra/storage/index.js';
import type { MediaService } from './media-service.js';
import { toDetailOut } from './routes.js';
import { interactionDetailOut } from './schemas.js';
import type { InteractionsService } from './service.js';

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` (one range; several ranges are served whole, as allowed). */
export function parseRange(
  header: string | undefined,
  size: number,
): ByteRange | undefined | 'unsatisfiable' {
  const match = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (size === 0) return 'unsatisfiable';
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) return 'unsatisfiable';
  return { start, end };
}

const tags = ['interactions'];

export const mediaRoutes: FastifyPluginAsyncZod<{
  interactions: InteractionsService;
  media: MediaService;
}> = async (app, { interactions, media }) => {
  app.post(
    '/:id/media/',
    {
      schema: {
        tags,
        summary: 'Upload a recording (multipart field `file`); processing starts in the background',
        consumes: ['multipart/form-data'],
        params: idParams,
        response: { 202: interactionDetailOut },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Not the user's interaction: 404 before a byte of the upload is stored.
      await interactions.get(request.user.id, id);
      if (!request.isMultipart()) {
        throw new ApiError(415, {
          detail: 'Upload the recording as multipart/form-data with a `file` field.',
        });
      }
      const file = await request.file();
      if (file?.fieldname !== 'file') throw badRequest({ file: ['No file was submitted.'] });
      await media.upload(request.user.id, id, {
        filename: file.filename,
        contentType: file.mimetype || 'application/octet-stream',
        stream: file.file,
      });
      return reply.code(202).send(toDetailOut(await interactions.get(request.user.id, id)));
    },
  );

  app.get(
    '/:id/media/',
    {
      // Also opens with a link from `POST {id}/media/link/`, for players that cannot send the token.
      config: { signedUrl: true },
      schema: { tags, summary: 'Download the recording (HTTP Range supported)', params: idParams },
    },
    async (request, reply) => {
      const { id } = request.params;
      const whole = await media.download(request.user.id, id, undefined);
      const range = parseRange(request.headers.range, whole.size);
      if (range === 'unsatisfiable') {
        whole.stream.destroy();
        return reply
          .code(416)
          .header('content-range', `bytes */${whole.size}`)
          .send({ detail: 'Requested range not satisfiable.' });
      }
      const filename = (whole.filename ?? 'recording').replace(/[^\w.\- ]/g, '_');
      reply
        .header('accept-ranges', 'bytes')
        .header('content-type', whole.contentType ?? 'application/octet-stream')
        .header('content-disposition', `inline; filename="${filename}"`);
      if (!range) return reply.header('content-length', whole.size).send(whole.stream);
      whole.stream.destroy();
      try {
        const part = await media.download(request.user.id, id, range);
        return reply
          .code(206)
          .header('content-range', `bytes ${range.start}-${range.end}/${part.size}`)
          .header('content-length', range.end - range.start + 1)
          .send(part.stream);
      } catch (error) {
        if (error instanceof RangeNotSatisfiableError) {
          return reply
            .code(416)
            .header('content-range', `bytes */${whole.size}`)
            .send({ detail: 'Requested range not satisfiable.' });
        }
        throw error;
      }
    },
  );

  app.post(
    '/:id/reprocess/',
    {
      schema: {
        tags,
        summary: 'Run the pipeline again on the stored media',
        params: idParams,
        response: { 202: interactionDetailOut },
      },
    },
    async (request, reply) => {
      await media.reprocess(request.user.id, request.params.id);
      return reply.code(202).send(toDetailOut(await interactions.get(request.user.id, request.params.id)));
    },
  );
};
