import { z } from 'zod';
import { currencyOf, formatAmount } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import { requireRole } from '../../platform/http/auth.js';
import { amountOutput, bearer, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { balanceSheet, checkIntegrity, snapshotBalances } from './reports.js';
import { validationError } from '../../core/errors.js';
import { isUuid } from '../../platform/ids.js';

const integritySchema = z.object({
  ok: z.boolean().describe('True when the books are right.'),
  checked_at: z.string(),
  problems: z.array(z.object({ problem: z.string(), subject_id: z.string(), detail: z.string() })),
});

const sectionSchema = z.object({
  total: amountOutput,
  lines: z.array(z.object({ category: z.string(), code: z.string().nullable(), accounts: z.number().int(), balance: amountOutput })),
});

const balanceSheetSchema = z.object({
  generated_at: z.string(),
  currencies: z.array(
    z.object({
      currency: z.string(),
      assets: sectionSchema,
      liabilities: sectionSchema,
      equity: sectionSchema,
      income: sectionSchema,
      expenses: sectionSchema,
      balanced: z.boolean().describe('Assets + expenses = liabilities + equity + income.'),
    }),
  ),
});

const snapshotQuery = z.strictObject({
  account_ids: z
    .string()
    .max(4000)
    .describe('Comma-separated ledger account ids (at most 100).'),
});

const snapshotSchema = z.object({
  as_of: z.string(),
  balances: z.array(z.object({ account_id: z.string(), currency: z.string(), balance: amountOutput, status: z.string() })),
});

export const SNAPSHOT_ACCOUNTS_MAX = 100;

export function ledgerRoutes(api: Api, context: AppContext): void {
  const tags = ['ledger'];
  const staff = requireRole('auditor', 'admin', 'super_admin');

  api.get(
    '/admin/ledger/integrity',
    {
      schema: { tags, summary: 'Integrity check of the books (empty when right)', security: bearer, response: { 200: integritySchema, ...problemResponses(403) } },
      preHandler: staff,
    },
    async () => {
      const problems = await checkIntegrity(context.db);
      return {
        ok: problems.length === 0,
        checked_at: context.now().toISOString(),
        problems: problems.map((item) => ({ problem: item.problem, subject_id: item.subjectId, detail: item.detail })),
      };
    },
  );

  api.get(
    '/admin/ledger/balances',
    {
      schema: {
        tags,
        summary: 'Balances of several accounts read in one consistent snapshot',
        security: bearer,
        querystring: snapshotQuery,
        response: { 200: snapshotSchema, ...problemResponses(403) },
      },
      preHandler: staff,
    },
    async (request) => {
      const ids = [...new Set(request.query.account_ids.split(',').map((id) => id.trim()).filter((id) => id !== ''))];
      if (ids.length === 0 || ids.length > SNAPSHOT_ACCOUNTS_MAX) {
        throw validationError('invalid_account_ids', `account_ids must name 1 to ${SNAPSHOT_ACCOUNTS_MAX} accounts.`, 'account_ids');
      }
      const snapshot = await snapshotBalances(context, ids.filter(isUuid));
      return {
        as_of: snapshot.asOf.toISOString(),
        balances: snapshot.accounts.map((account) => ({
          account_id: account.id,
          currency: account.currency,
          balance: formatAmount(account.balanceMinor, currencyOf(account.currency)),
          status: account.status,
        })),
      };
    },
  );

  api.get(
    '/admin/reports/balance-sheet',
    {
      schema: { tags, summary: 'Balance sheet by account kind and type', security: bearer, response: { 200: balanceSheetSchema, ...problemResponses(403) } },
      preHandler: staff,
    },
    async () => {
      const sheets = await balanceSheet(context.db);
      return {
        generated_at: context.now().toISOString(),
        currencies: sheets.map((sheet) => {
          const currency = currencyOf(sheet.currency);
          const section = (kind: keyof typeof sheet.sections) => ({
            total: formatAmount(sheet.sections[kind].totalMinor, currency),
            lines: sheet.sections[kind].lines.map((line) => ({
              category: line.category,
              code: line.code,
              accounts: line.accountCount,
              balance: formatAmount(line.balanceMinor, currency),
            })),
          });
          return {
            currency: sheet.currency,
            assets: section('asset'),
            liabilities: section('liability'),
            equity: section('equity'),
            income: section('income'),
            expenses: section('expense'),
            balanced: sheet.differenceMinor === 0n,
          };
        }),
      };
    },
  );
}
