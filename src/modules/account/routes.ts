import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountService } from './service.js';

const tags = ['auth'];

export const deleteAccountBody = z.object({
  current_password: z.string().min(1).max(4096),
});

/** Registered under `/api/auth/users/`, beside the users routes. */
export const accountRoutes: FastifyPluginAsyncZod<{ account: AccountService }> = async (app, { account }) => {
  app.get(
    '/me/export/',
    {
      schema: {
        tags,
        summary:
          'Download everything the account owns as a ZIP: JSON of every object, media files, face thumbnails (no embeddings), a README',
      },
    },
    async (request, reply) => {
      const archive = await account.exportArchive(request.user.id);
      const date = new Date().toISOString().slice(0, 10);
      return reply
        .header('content-type', 'application/zip')
        .header('content-disposition', `attachment; filename="rapport-${request.user.id}-${date}.zip"`)
        .send(archive);
    },
  );

  app.delete(
    '/me/',
    {
      schema: {
        tags,
        summary: 'Delete the account with every row and file it owns (asks for the password)',
        body: deleteAccountBody,
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      const result = await account.deleteAccount(request.user, request.body.current_password);
      for (const { key, error } of result.fileErrors) {
        request.log.error({ err: error, key }, 'account deleted, but a stored file could not be deleted');
      }
      request.log.info({ userId: request.user.id, files: result.filesDeleted }, 'account deleted');
      return reply.code(204).send(null);
    },
  );
};
