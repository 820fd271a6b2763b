import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pageRequest, pageSchema, paginate } from '../../infra/http/pagination.js';
import { idParams } from '../../infra/http/query.js';
import type { AdminUserRow } from './repository.js';
import {
  type AdminUserOut,
  adminUserListQuery,
  adminUserOut,
  adminUserPatchBody,
  resetTokensOut,
} from './schemas.js';
import type { AdminService } from './service.js';

function toAdminUserOut(row: AdminUserRow): AdminUserOut {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    first_name: row.firstName,
    last_name: row.lastName,
    date_joined: row.dateJoined.toISOString(),
    last_login: row.lastLogin?.toISOString() ?? null,
    is_staff: row.isStaff,
    is_active: row.isActive,
    tokens_count: row.tokensCount,
  };
}

const tags = ['admin'];

export const adminRoutes: FastifyPluginAsyncZod<{ admin: AdminService }> = async (app, { admin }) => {
  app.get(
    '/users/',
    {
      schema: {
        tags,
        summary: 'Every account (staff only)',
        querystring: adminUserListQuery,
        response: { 200: pageSchema(adminUserOut) },
      },
    },
    async (request) => {
      const page = pageRequest(request.query);
      const { search, is_active, is_staff, ordering } = request.query;
      const { count, rows } = await admin.listUsers(
        request.user,
        { search, isActive: is_active, isStaff: is_staff, ordering },
        page,
      );
      return paginate(request, page, count, rows.map(toAdminUserOut));
    },
  );

  app.get(
    '/users/:id/',
    {
      schema: {
        tags,
        summary: 'One account (staff only)',
        params: idParams,
        response: { 200: adminUserOut },
      },
    },
    async (request) => toAdminUserOut(await admin.getUser(request.user, request.params.id)),
  );

  app.patch(
    '/users/:id/',
    {
      schema: {
        tags,
        summary: 'Deactivate or reactivate an account, grant or remove staff (staff only)',
        params: idParams,
        body: adminUserPatchBody,
        response: { 200: adminUserOut },
      },
    },
    async (request) => toAdminUserOut(await admin.updateUser(request.user, request.params.id, request.body)),
  );

  app.post(
    '/users/:id/reset-tokens/',
    {
      schema: {
        tags,
        summary: 'Revoke every token of an account: it is signed out everywhere (staff only)',
        params: idParams,
        response: { 200: resetTokensOut },
      },
    },
    async (request) => ({ revoked: await admin.resetTokens(request.user, request.params.id) }),
  );
};
