/** Shapes of the API's answers, taken from the generated schema. */
import type { paths } from './schema';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
type Ok<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: infer R }
  ? R extends { 200: infer A }
    ? Json<A>
    : R extends { 201: infer B }
      ? Json<B>
      : never
  : never;

export type Account = Ok<'/api/v1/accounts', 'get'>['items'][number];
export type AccountType = Account['type'];
export type Transaction = Ok<'/api/v1/transactions', 'get'>['items'][number];
export type TransactionType = Transaction['type'];
export type Beneficiary = Ok<'/api/v1/beneficiaries', 'get'>['items'][number];
export type Statement = Ok<'/api/v1/accounts/{id}/statement', 'get'>;
export type Limits = Ok<'/api/v1/accounts/{id}/limits', 'get'>;
export type Profile = Ok<'/api/v1/users/me', 'get'>;
export type SessionInfo = Ok<'/api/v1/users/me/sessions', 'get'>['items'][number];
export type TwoFactorStatus = Ok<'/api/v1/users/me/2fa', 'get'>;
export type TransactionQuery = NonNullable<paths['/api/v1/transactions']['get']['parameters']['query']>;
