import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { authOut, changePasswordBody, loginBody, registerBody, updateMeBody, userOut } from './schemas.js';
import { toUserOut, type UsersService } from './service.js';

const tags = ['auth'];

export const usersRoutes: FastifyPluginAsyncZod<{ users: UsersService }> = async (app, { users }) => {
  app.post(
    '/register/',
    {
      config: { public: true },
      schema: { tags, summary: 'Create an account', body: registerBody, response: { 201: authOut } },
    },
    async (request, reply) => {
      const session = await users.register(request.body, request.headers['user-agent'] ?? '');
      return reply.code(201).send({ user: toUserOut(session.user), token: session.token });
    },
  );

  app.post(
    '/login/',
    {
      config: { public: true },
      schema: {
        tags,
        summary: 'Log in: a new token for this device',
        body: loginBody,
        response: { 200: authOut },
      },
    },
    async (request) => {
      const { username, password } = request.body;
      const session = await users.login(username, password, request.ip, request.headers['user-agent'] ?? '');
      return { user: toUserOut(session.user), token: session.token };
    },
  );

  app.post(
    '/logout/',
    { schema: { tags, summary: 'Revoke the token of this request', response: { 204: z.null() } } },
    async (request, reply) => {
      await users.logout(request.authToken);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/me/',
    { schema: { tags, summary: 'The current user', response: { 200: userOut } } },
    async (request) => toUserOut(request.user),
  );

  app.patch(
    '/me/',
    { schema: { tags, summary: 'Update name or email', body: updateMeBody, response: { 200: userOut } } },
    async (request) => toUserOut(await users.updateMe(request.user, request.body)),
  );

  app.post(
    '/change-password/',
    {
      schema: {
        tags,
        summary: 'Change the password; signs out every other device',
        body: changePasswordBody,
        response: { 200: z.object({ detail: z.string() }) },
      },
    },
    async (request) => {
      await users.changePassword(request.user, request.authToken, request.body);
      return { detail: 'Password changed.' };
    },
  );
};
