import '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError, badRequest } from '../../infra/http/errors.js';
import { idParams } from '../../infra/http/query.js';
import { toVoiceOut } from './routes.js';
import { voiceSignatureOut } from './schemas.js';
import type { VoiceEnrolmentService } from './voice-enrolment.js';

export const voiceEnrolmentRoutes: FastifyPluginAsyncZod<{ enrolment: VoiceEnrolmentService }> = async (
  app,
  { enrolment },
) => {
  app.post(
    '/:id/voices/',
    {
      schema: {
        tags: ['relationships'],
        summary: "Enrol this person's voice from a recording (multipart `audio`, ≥ 3 s of speech)",
        consumes: ['multipart/form-data'],
        params: idParams,
        response: { 201: voiceSignatureOut },
      },
    },
    async (request, reply) => {
      await enrolment.assertOwned(request.user.id, request.params.id);
      if (!request.isMultipart()) {
        throw new ApiError(415, {
          detail: 'Upload the recording as multipart/form-data with an `audio` field.',
        });
      }
      const file = await request.file();
      if (file?.fieldname !== 'audio') {
        file?.file.resume();
        throw badRequest({ audio: ['No file was submitted.'] });
      }
      const row = await enrolment.enrol(request.user.id, request.params.id, file.file);
      return reply.code(201).send(toVoiceOut(row));
    },
  );
};
