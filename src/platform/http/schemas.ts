/** Zod schemas shared by every module's routes. */
import { z } from 'zod';

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().describe('Stable machine-readable error code.'),
    instance: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .describe('RFC 9457 problem details');

/** Error responses documented on every route. */
export function problemResponses(...statuses: number[]): Record<number, typeof problemSchema> {
  return Object.fromEntries([400, 401, 422, ...statuses].map((status) => [status, problemSchema]));
}

export const amountInput = z
  .union([z.string().max(40), z.number()])
  .describe('A positive decimal amount with at most the currency\'s decimals, as a string ("5000.00") or a JSON number.');

export const amountOutput = z.string().describe('Decimal string with exactly the currency\'s decimals, e.g. "5000.00".');

export const idParams = z.object({ id: z.string().min(1).max(100) });

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, at most 100.'),
  cursor: z.string().max(200).optional().describe('The next_cursor of the previous page.'),
};

export const bearer = [{ bearerAuth: [] }];

export const noContent = z.null().describe('No content');

const INT8_MAX = 2n ** 63n - 1n;

/** Encodes an opaque pagination cursor from an ordering key. */
export function encodeCursor(value: bigint): string {
  return Buffer.from(`k1:${value}`).toString('base64url');
}

/** Decodes a cursor; undefined when it is not one of ours. */
export function decodeCursor(cursor: string | undefined): bigint | undefined | 'invalid' {
  if (cursor === undefined || cursor === '') return undefined;
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const match = /^k1:([0-9]{1,19})$/.exec(text);
  if (match?.[1] === undefined) return 'invalid';
  const value = BigInt(match[1]);
  return value > INT8_MAX ? 'invalid' : value;
}
