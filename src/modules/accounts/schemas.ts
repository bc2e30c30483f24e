import { z } from 'zod';
import { amountInput, amountOutput, pageQuery } from '../../platform/http/schemas.js';

export const accountTypeSchema = z.enum(['savings', 'checking', 'wallet', 'loan']);

export const openAccountBody = z.strictObject({
  type: z.enum(['savings', 'checking', 'wallet']),
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as INR').optional(),
  nickname: z.string().max(50).nullish(),
});

export const accountSchema = z.object({
  id: z.string(),
  number: z.string(),
  type: accountTypeSchema,
  currency: z.string(),
  nickname: z.string().nullable(),
  balance: amountOutput,
  status: z.enum(['active', 'frozen', 'closed']),
  owner_id: z.string(),
  daily_limit: amountOutput,
  frozen_by_bank: z.boolean(),
  created_at: z.string(),
  closed_at: z.string().nullable(),
});

export const statementLineSchema = z.object({
  entry_id: z.string(),
  date: z.string().describe('Timestamp (ISO 8601, UTC)'),
  type: z.string(),
  description: z.string().nullable(),
  amount: z.string().describe('Signed change of the balance: negative for money out.'),
  balance: amountOutput,
});

export const accountDetailSchema = accountSchema.extend({ recent_transactions: z.array(statementLineSchema) });

export const accountListQuery = z.strictObject({
  owner_id: z.string().max(100).optional(),
  type: accountTypeSchema.optional(),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  status: z.enum(['active', 'frozen', 'closed']).optional(),
  number: z.string().regex(/^[0-9]{1,12}$/).optional().describe('Account number or its prefix'),
  ...pageQuery,
});

export const accountPageSchema = z.object({ items: z.array(accountSchema), next_cursor: z.string().nullable() });

export const balanceSchema = z.object({
  account_id: z.string(),
  currency: z.string(),
  balance: amountOutput,
  status: z.enum(['active', 'frozen', 'closed']),
  as_of: z.string(),
});

export const freezeBody = z.strictObject({ frozen: z.boolean() });

export const statementQuery = z.strictObject({
  from: z.string().max(10).optional().describe('First day (YYYY-MM-DD, bank time zone); default: first of this month'),
  to: z.string().max(10).optional().describe('Last day, included; default: today'),
  format: z.enum(['json', 'csv']).default('json'),
});

export const statementSchema = z.object({
  account_id: z.string(),
  number: z.string(),
  currency: z.string(),
  from: z.string(),
  to: z.string(),
  opening_balance: amountOutput,
  closing_balance: amountOutput,
  total_credits: amountOutput,
  total_debits: amountOutput,
  lines: z.array(statementLineSchema),
});

export const limitBody = z.strictObject({
  daily_limit: amountInput.nullable().describe('The new daily limit, or null for the default of the account type.'),
});
