import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { notFound } from '../../infra/http/errors.js';
import { idParams } from '../../infra/http/query.js';
import type { UrlSigner } from '../../infra/http/signed-urls.js';
import type { InteractionsService } from '../interactions/service.js';

const linkOut = z.object({
  url: z.string().describe('Path of the media download, with an `access` parameter instead of a token'),
  expires_at: z.string(),
});

/** The media download route's path for an interaction (the one the signature covers). */
export const mediaPath = (interactionId: number) => `/api/interactions/${interactionId}/media/`;

/**
 * `POST /api/interactions/{id}/media/link/`: a link to the recording a `<video>` element can play
 * (it streams with Range requests and cannot send the token).
 */
export const mediaLinkRoutes: FastifyPluginAsyncZod<{
  interactions: InteractionsService;
  signer: UrlSigner;
  ttlSeconds: number;
}> = async (app, { interactions, signer, ttlSeconds }) => {
  app.post(
    '/:id/media/link/',
    {
      schema: {
        tags: ['interactions'],
        summary: 'A short-lived link to play the recording in a browser',
        params: idParams,
        response: { 200: linkOut },
      },
    },
    async (request) => {
      const interaction = await interactions.get(request.user.id, request.params.id);
      if (interaction.mediaPath === null) throw notFound();
      const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
      const path = mediaPath(interaction.id);
      const access = signer.sign(request.user.id, path, expiresAt);
      return { url: `${path}?access=${encodeURIComponent(access)}`, expires_at: expiresAt.toISOString() };
    },
  );
};
