/**
 * HTTP routes of user management by staff (see admin-users.ts for who may do what). Staff see
 * contact details masked; an administrator who needs them asks for them with a reason (audited).
 */
import { maskDateOfBirth, maskEmail, maskPhone } from '../../core/masking.js';
import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, idParams, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { blockUser, changeRole, getUser, listUsers, revealUser, unblockUser } from './admin-users.js';
import { setKycStatus } from './kyc.js';
import {
  adminUserDetailSchema,
  adminUserListQuery,
  adminUserPageSchema,
  blockBody,
  kycBody,
  revealBody,
  revealedUserSchema,
  roleBody,
  unblockBody,
} from './schemas.js';
import type { User } from './store.js';

/** A user as staff see them: contact details masked. */
export function adminUserView(user: User) {
  return {
    id: user.id,
    username: user.username,
    email: maskEmail(user.email),
    full_name: user.fullName,
    phone: user.phone === null ? null : maskPhone(user.phone),
    date_of_birth: user.dateOfBirth === null ? null : maskDateOfBirth(user.dateOfBirth),
    role: user.role,
    status: user.status,
    kyc_status: user.kycStatus,
    created_at: user.createdAt.toISOString(),
  };
}

function adminUserDetailView(user: User) {
  return {
    ...adminUserView(user),
    kyc_reason: user.kycReason,
    kyc_decided_by: user.kycDecidedBy,
    kyc_decided_at: user.kycDecidedAt?.toISOString() ?? null,
    status_reason: user.statusReason,
    status_changed_by: user.statusChangedBy,
    status_changed_at: user.statusChangedAt?.toISOString() ?? null,
    updated_at: user.updatedAt.toISOString(),
  };
}

export function adminUserRoutes(api: Api, context: AppContext): void {
  const tags = ['admin'];
  const staff = requireRole('auditor', 'admin', 'super_admin');
  const admins = requireRole('admin', 'super_admin');
  const detail = { 200: adminUserDetailSchema, ...problemResponses(403, 404, 409) };

  api.get(
    '/admin/users',
    {
      schema: {
        tags,
        summary: 'Users, newest first, with search and filters (contact details masked)',
        security: bearer,
        querystring: adminUserListQuery,
        response: { 200: adminUserPageSchema, ...problemResponses(403) },
      },
      preHandler: staff,
    },
    async (request) => {
      const query = request.query;
      const page = await listUsers(context, {
        text: query.q,
        role: query.role,
        status: query.status,
        kycStatus: query.kyc_status,
        limit: query.limit,
        cursor: query.cursor,
      });
      return { items: page.items.map(adminUserView), next_cursor: page.nextCursor };
    },
  );

  api.get(
    '/admin/users/:id',
    { schema: { tags, summary: 'One user (contact details masked)', security: bearer, params: idParams, response: { 200: adminUserDetailSchema, ...problemResponses(403, 404) } }, preHandler: staff },
    async (request) => adminUserDetailView(await getUser(context, request.params.id)),
  );

  api.post(
    '/admin/users/:id/block',
    {
      schema: { tags, summary: 'Block a user: no more sign-ins, every session revoked at once', security: bearer, params: idParams, body: blockBody, response: detail },
      preHandler: admins,
    },
    async (request) => adminUserDetailView(await blockUser(context, principalOf(request), { userId: request.params.id, reason: request.body.reason })),
  );

  api.post(
    '/admin/users/:id/unblock',
    { schema: { tags, summary: 'Unblock a user', security: bearer, params: idParams, body: unblockBody, response: detail }, preHandler: admins },
    async (request) => adminUserDetailView(await unblockUser(context, principalOf(request), { userId: request.params.id, reason: request.body?.reason })),
  );

  api.put(
    '/admin/users/:id/kyc',
    {
      schema: { tags, summary: "Set a customer's KYC status (pending, verified, rejected) with the reason", security: bearer, params: idParams, body: kycBody, response: detail },
      preHandler: admins,
    },
    async (request) =>
      adminUserDetailView(await setKycStatus(context, principalOf(request), { userId: request.params.id, status: request.body.status, reason: request.body.reason })),
  );

  api.put(
    '/admin/users/:id/role',
    { schema: { tags, summary: "Change a user's role (super admins only)", security: bearer, params: idParams, body: roleBody, response: detail }, preHandler: admins },
    async (request) => adminUserDetailView(await changeRole(context, principalOf(request), { userId: request.params.id, role: request.body.role })),
  );

  api.post(
    '/admin/users/:id/reveal',
    {
      schema: {
        tags,
        summary: "Show a user's full email, phone and date of birth (the request and its reason are audited)",
        security: bearer,
        params: idParams,
        body: revealBody,
        response: { 200: revealedUserSchema, ...problemResponses(403, 404) },
      },
      preHandler: admins,
    },
    async (request) => {
      const user = await revealUser(context, principalOf(request), { userId: request.params.id, reason: request.body.reason });
      return { id: user.id, username: user.username, email: user.email, phone: user.phone, date_of_birth: user.dateOfBirth };
    },
  );
}
