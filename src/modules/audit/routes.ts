import { z } from 'zod';
import type { AppContext } from '../../platform/context.js';
import { requireRole } from '../../platform/http/auth.js';
import { bearer, pageQuery, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { listAuditLog } from './queries.js';
import { verifyAuditChain } from './verify.js';

const auditQuery = z.strictObject({
  actor_id: z.string().max(100).optional().describe('The user who acted.'),
  action: z.string().max(100).optional().describe('An action (`user.blocked`), or a prefix ending in a dot (`user.`).'),
  target_type: z.string().max(50).optional(),
  target_id: z.string().max(200).optional(),
  from: z.string().max(40).optional().describe('From this instant (YYYY-MM-DD or ISO 8601), included.'),
  to: z.string().max(40).optional().describe('Up to this instant, excluded.'),
  ...pageQuery,
});

const auditEntrySchema = z.object({
  id: z.string(),
  seq: z.string().describe('Position in the hash chain.'),
  occurred_at: z.string(),
  actor_id: z.string().nullable(),
  actor_role: z.string().nullable(),
  action: z.string(),
  target_type: z.string(),
  target_id: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  ip: z.string().nullable(),
  user_agent: z.string().nullable(),
  request_id: z.string().nullable(),
  hash: z.string().describe('SHA-256 of the previous hash and this row, hex.'),
});

const chainSchema = z.object({
  valid: z.boolean(),
  rows_checked: z.number().int(),
  head_seq: z.string(),
  head_hash: z.string().describe('Publish this value elsewhere to detect a rewrite of the whole chain.'),
  first_broken: z.object({ seq: z.string(), problem: z.string() }).nullable(),
  checked_at: z.string(),
});

export function auditRoutes(api: Api, context: AppContext): void {
  const tags = ['audit'];
  const staff = requireRole('auditor', 'admin', 'super_admin');

  api.get(
    '/audit-logs',
    {
      schema: {
        tags,
        summary: 'The audit log, newest first',
        security: bearer,
        querystring: auditQuery,
        response: { 200: z.object({ items: z.array(auditEntrySchema), next_cursor: z.string().nullable() }), ...problemResponses(403) },
      },
      preHandler: staff,
    },
    async (request) => {
      const query = request.query;
      const page = await listAuditLog(context.db, {
        actorId: query.actor_id,
        action: query.action,
        targetType: query.target_type,
        targetId: query.target_id,
        from: query.from,
        to: query.to,
        limit: query.limit,
        cursor: query.cursor,
      });
      return {
        items: page.items.map((item) => ({
          id: item.id,
          seq: item.seq.toString(),
          occurred_at: item.occurredAt.toISOString(),
          actor_id: item.actorId,
          actor_role: item.actorRole,
          action: item.action,
          target_type: item.targetType,
          target_id: item.targetId,
          before: item.before,
          after: item.after,
          ip: item.ip,
          user_agent: item.userAgent,
          request_id: item.requestId,
          hash: item.hash,
        })),
        next_cursor: page.nextCursor,
      };
    },
  );

  api.get(
    '/admin/audit-logs/verify',
    {
      schema: { tags, summary: 'Verify the audit hash chain', security: bearer, response: { 200: chainSchema, ...problemResponses(403) } },
      preHandler: staff,
    },
    async () => {
      const report = await verifyAuditChain(context.db);
      return {
        valid: report.valid,
        rows_checked: report.rowsChecked,
        head_seq: report.headSeq,
        head_hash: report.headHash,
        first_broken: report.firstBroken ?? null,
        checked_at: context.now().toISOString(),
      };
    },
  );
}
