import { z } from 'zod';
import { amountInput, amountOutput, pageQuery } from '../../platform/http/schemas.js';

const id = z.string().min(1).max(100);
const description = z.string().max(200).nullish();

export const cashBody = z.strictObject({ account_id: id, amount: amountInput, description });

const transactionPin = z
  .string()
  .regex(/^[0-9]{4,6}$/, 'must be 4 to 6 digits')
  .optional()
  .describe('The transaction PIN: needed when the amount is above PIN_REQUIRED_ABOVE (10000.00 by default), ignored otherwise.');

export const withdrawBody = cashBody.extend({ pin: transactionPin });

export const transferBody = z.strictObject({
  from_account_id: id,
  to_account_id: id.optional(),
  to_account_number: z.string().max(30).optional(),
  beneficiary_id: id.optional(),
  amount: amountInput,
  description,
  pin: transactionPin,
});

export const reverseBody = z.strictObject({ reason: z.string().trim().min(3).max(500) });

export const transactionSchema = z.object({
  id: z.string(),
  type: z.enum(['deposit', 'withdrawal', 'transfer', 'reversal']),
  status: z.enum(['posted', 'reversed']),
  from_account_id: z.string().nullable(),
  to_account_id: z.string().nullable(),
  amount: amountOutput,
  currency: z.string(),
  description: z.string().nullable(),
  reversal_of: z.string().nullable(),
  created_at: z.string(),
});

export const historyQuery = z.strictObject({
  account_id: id.optional(),
  type: z.enum(['deposit', 'withdrawal', 'transfer', 'reversal']).optional(),
  from: z.string().max(10).optional().describe('First day, YYYY-MM-DD (bank time zone)'),
  to: z.string().max(10).optional().describe('Last day, included'),
  currency: z.string().regex(/^[A-Z]{3}$/).optional(),
  min_amount: z.string().max(40).optional(),
  max_amount: z.string().max(40).optional(),
  q: z.string().max(100).optional().describe('Text in the description'),
  ...pageQuery,
});

export const historyPageSchema = z.object({ items: z.array(transactionSchema), next_cursor: z.string().nullable() });

export const limitsSchema = z.object({
  account_id: z.string(),
  currency: z.string(),
  daily_limit: amountOutput,
  used_today: amountOutput,
  remaining: amountOutput,
  resets_at: z.string(),
});

export const beneficiaryBody = z.strictObject({
  name: z.string().trim().min(1).max(100),
  account_number: z.string().max(30),
  nickname: z.string().max(50).nullish(),
});

export const beneficiarySchema = z.object({
  id: z.string(),
  name: z.string(),
  nickname: z.string().nullable(),
  account_number: z.string(),
  currency: z.string(),
  created_at: z.string(),
});

export const beneficiaryListSchema = z.object({ items: z.array(beneficiarySchema) });

export const idempotencyHeaders = z.object({
  'idempotency-key': z.string().optional().describe('Makes the request safe to retry: the first response is replayed for 24 hours.'),
});
