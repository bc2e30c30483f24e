import { z } from 'zod';

export const registerBody = z.strictObject({
  username: z.string().max(64),
  password: z.string().max(1024),
  email: z.string().max(320),
  full_name: z.string().trim().min(1).max(100),
  phone: z.string().max(32).nullish(),
  date_of_birth: z.string().max(10).nullish().describe('YYYY-MM-DD'),
});

export const loginBody = z.strictObject({
  username: z.string().min(1).max(320).describe('Username or email address.'),
  password: z.string().min(1).max(1024),
});

export const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200) });

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  full_name: z.string(),
  phone: z.string().nullable(),
  date_of_birth: z.string().nullable(),
  role: z.enum(['customer', 'auditor', 'admin', 'super_admin']),
  status: z.enum(['active', 'blocked']),
  kyc_status: z.enum(['pending', 'verified', 'rejected']),
  created_at: z.string(),
});

export const tokenSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int(),
  refresh_token: z.string(),
});
