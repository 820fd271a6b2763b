import '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NULL_CHARACTERS } from '../../infra/http/body-parsing.js';
import { ApiError, badRequest } from '../../infra/http/errors.js';
import { idParams } from '../../infra/http/query.js';
import { toDetailOut } from '../interactions/routes.js';
import { interactionDetailOut, MAX_TRANSCRIPTION_CHARS } from '../interactions/schemas.js';
import type { InteractionsService } from '../interactions/service.js';
import { TRANSCRIPT_FORMATS } from './parse.js';
import type { TranscriptsService } from './service.js';

/** Largest uploaded transcript file: the transcription limit plus room for VTT/SRT timing lines. */
export const MAX_TRANSCRIPT_FILE_BYTES = 8 * 1024 * 1024;

export const transcriptBody = z.object({
  text: z.string().max(MAX_TRANSCRIPTION_CHARS),
  format: z.enum(TRANSCRIPT_FORMATS).optional(),
});

const EXTENSION_FORMATS: Record<string, (typeof TRANSCRIPT_FORMATS)[number]> = {
  vtt: 'VTT',
  srt: 'SRT',
  txt: 'TEXT',
};

/** An uploaded file as UTF-8 text, read with a size cap; binary files are refused. */
async function readTextFile(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > MAX_TRANSCRIPT_FILE_BYTES) {
      throw new ApiError(413, {
        detail: `The transcript file is larger than ${MAX_TRANSCRIPT_FILE_BYTES} bytes.`,
      });
    }
    chunks.push(chunk);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw badRequest({ file: ['The file is not UTF-8 text (a VTT, SRT or plain-text transcript).'] });
  }
  if (text.includes('\u0000')) throw badRequest({ file: [NULL_CHARACTERS] });
  if (!text.trim()) throw badRequest({ file: ['The submitted file is empty.'] });
  return text;
}

export const transcriptRoutes: FastifyPluginAsyncZod<{
  interactions: InteractionsService;
  transcripts: TranscriptsService;
}> = async (app, { interactions, transcripts }) => {
  app.post(
    '/:id/transcript/',
    {
      schema: {
        tags: ['interactions'],
        summary:
          'Import a transcript (multipart `file`: VTT, SRT or text; or JSON `{text, format?}`); notes are extracted in the background',
        consumes: ['application/json', 'multipart/form-data'],
        params: idParams,
        body: transcriptBody,
        response: { 202: interactionDetailOut },
      },
      // An upload becomes the same `{text, format}` body before validation, so both paths share it.
      preValidation: async (request) => {
        if (!request.isMultipart()) return;
        // Not the user's interaction: 404 before the upload is read.
        await interactions.get(request.user.id, (request.params as { id: number }).id);
        const file = await request.file();
        if (file?.fieldname !== 'file') throw badRequest({ file: ['No file was submitted.'] });
        const text = await readTextFile(file.file);
        const formatField = file.fields.format;
        // A `format` field sent before the file part overrides the file's extension.
        const declared: unknown = formatField && 'value' in formatField ? formatField.value : undefined;
        const extension = file.filename.split('.').pop()?.toLowerCase() ?? '';
        // Validated by transcriptBody next, like a JSON body.
        (request as { body: unknown }).body = { text, format: declared ?? EXTENSION_FORMATS[extension] };
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const field = request.isMultipart() ? 'file' : 'text';
      await transcripts.import(request.user.id, id, request.body.text, request.body.format, field);
      return reply.code(202).send(toDetailOut(await interactions.get(request.user.id, id)));
    },
  );
};
