import '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ApiError, badRequest } from '../../infra/http/errors.js';
import { idParams } from '../../infra/http/query.js';
import type { FaceEnrolmentService } from './face-enrolment.js';
import { toFaceOut } from './routes.js';
import { faceSignatureOut } from './schemas.js';

/** `POST /api/relationships/{id}/faces/`: multipart `image` (JPEG, PNG, WebP), optional `face_index`. */
export const faceEnrolmentRoutes: FastifyPluginAsyncZod<{ enrolment: FaceEnrolmentService }> = async (
  app,
  { enrolment },
) => {
  app.post(
    '/:id/faces/',
    {
      schema: {
        tags: ['signatures'],
        summary:
          'Enrol a face from a photo (multipart `image`; `face_index` picks one face of several, most confident first)',
        consumes: ['multipart/form-data'],
        params: idParams,
        response: { 201: faceSignatureOut },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Not the user's person: 404 before the upload is read.
      await enrolment.assertOwnsRelationship(request.user.id, id);
      if (!request.isMultipart()) {
        throw new ApiError(415, {
          detail: 'Upload the photo as multipart/form-data with an `image` field.',
        });
      }
      let image: Buffer | undefined;
      let faceIndexText: string | undefined;
      try {
        for await (const part of request.parts({
          limits: { fileSize: enrolment.imageMaxBytes + 1, files: 1 },
        })) {
          if (part.type === 'file') {
            if (part.fieldname === 'image') image = await part.toBuffer();
            else part.file.resume();
          } else if (part.fieldname === 'face_index') {
            faceIndexText = String(part.value);
          }
        }
      } catch (error) {
        // The multipart plugin's own errors carry their status (413 too large…); the parser's do not.
        if ((error as { statusCode?: number }).statusCode) throw error;
        throw new ApiError(400, { detail: `Malformed multipart body: ${(error as Error).message}` });
      }
      if (!image || image.length === 0) throw badRequest({ image: ['No file was submitted.'] });
      let faceIndex: number | undefined;
      if (faceIndexText !== undefined && faceIndexText.trim() !== '') {
        if (!/^\d{1,4}$/.test(faceIndexText.trim()))
          throw badRequest({ face_index: ['A valid integer is required.'] });
        faceIndex = Number(faceIndexText.trim());
      }
      const row = await enrolment.enrolFace(request.user.id, id, image, faceIndex);
      return reply.code(201).send(toFaceOut(row));
    },
  );
};
