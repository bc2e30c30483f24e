/**
 * Access tokens: the algorithm is pinned, issuer, audience, expiry and age are checked by the
 * application's clock, revocation takes effect at once, and keys rotate by key id without logging
 * anyone out (retired keys verify their tokens; unknown key ids are refused).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { createTokenService } from '../../src/platform/http/tokens.js';
import { loadSecrets, rotateJwtSecret } from '../../src/platform/secrets.js';
import { startTestBank, TEST_PASSWORD, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

const OLD_SECRET = 'the-retired-signing-secret-0123456789abcdef';
const NEW_SECRET = 'the-current-signing-secret-0123456789abcdef';
const encode = (secret: string) => new TextEncoder().encode(secret);
const kidOf = (secret: string) => createHash('sha256').update(encode(secret)).digest('hex').slice(0, 16);

function decode(token: string, part: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[part] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

interface Forge {
  secret?: string | Uint8Array;
  alg?: string;
  kid?: string | null;
  iss?: string;
  aud?: string;
  iat?: number;
  exp?: number;
}

describe('access tokens', () => {
  let clock: Date;
  let bank: TestBank;
  let customer: Customer;
  let claims: Record<string, unknown>;
  const nowSeconds = () => Math.floor(clock.getTime() / 1000);

  beforeAll(async () => {
    clock = new Date('2031-03-01T08:00:00Z');
    bank = await startTestBank({ now: () => clock, env: { JWT_SECRET: NEW_SECRET, JWT_PREVIOUS_SECRETS: ` ${OLD_SECRET} ` } });
    customer = await bank.user(uniqueName('tok'));
    claims = decode(customer.token, 1);
  });
  afterAll(async () => bank.close());

  const me = (token: string) => bank.request('GET', `${API}/auth/me`, { token });

  function forge(options: Forge = {}): Promise<string> {
    const header: Record<string, string> = { alg: options.alg ?? 'HS256', typ: 'JWT' };
    if (options.kid !== null) header.kid = options.kid ?? kidOf(NEW_SECRET);
    const secret = options.secret ?? NEW_SECRET;
    return new SignJWT({ role: 'customer', sid: claims.sid })
      .setProtectedHeader(header as { alg: string })
      .setSubject(String(claims.sub))
      .setIssuer(options.iss ?? 'kosh')
      .setAudience(options.aud ?? 'kosh-api')
      .setIssuedAt(options.iat ?? nowSeconds() - 10)
      .setJti(crypto.randomUUID())
      .setExpirationTime(options.exp ?? nowSeconds() + 600)
      .sign(typeof secret === 'string' ? encode(secret) : secret);
  }

  it('are HS256 with the current key id, type, issuer, audience and a 15-minute lifetime by the application clock', async () => {
    expect(decode(customer.token, 0)).toEqual({ alg: 'HS256', typ: 'JWT', kid: kidOf(NEW_SECRET) });
    expect(claims).toMatchObject({ iss: 'kosh', aud: 'kosh-api', sub: customer.userId, role: 'customer', iat: nowSeconds(), exp: nowSeconds() + 900 });
    expect(claims.jti).toEqual(expect.any(String));
    expect(claims).not.toHaveProperty('csrf');
    expect((await me(await forge())).status).toBe(200);
  });

  it('accept a token signed with a retired key (JWT_PREVIOUS_SECRETS) under its own key id', async () => {
    const fromOldKey = await forge({ secret: OLD_SECRET, kid: kidOf(OLD_SECRET) });
    expect((await me(fromOldKey)).status).toBe(200);
  });

  it('refuse alg none, other algorithms, wrong or unknown keys, missing kid, wrong issuer or audience, too old (401)', async () => {
    const payload = Buffer.from(JSON.stringify({ ...claims, iat: nowSeconds(), exp: nowSeconds() + 600 })).toString('base64url');
    const none = (header: Record<string, unknown>) => `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.`;
    const cases: [string, string][] = [
      ['alg none', none({ alg: 'none', typ: 'JWT' })],
      ['alg none with the current kid', none({ alg: 'none', typ: 'JWT', kid: kidOf(NEW_SECRET) })],
      ['HS512 with the current key', await forge({ alg: 'HS512' })],
      ['HS384 with the current key', await forge({ alg: 'HS384' })],
      ['a wrong key under the current kid', await forge({ secret: new Uint8Array(48).fill(9) })],
      ['the retired key under the current kid', await forge({ secret: OLD_SECRET })],
      ['the current key under the retired kid', await forge({ kid: kidOf(OLD_SECRET) })],
      ['an unknown kid', await forge({ kid: 'ffffffffffffffff' })],
      ['no kid', await forge({ kid: null })],
      ['wrong issuer', await forge({ iss: 'someone-else' })],
      ['wrong audience', await forge({ aud: 'another-api' })],
      ['issued long ago with a far expiry', await forge({ iat: nowSeconds() - 3600, exp: nowSeconds() + 3600 })],
      ['issued in the future', await forge({ iat: nowSeconds() + 3600, exp: nowSeconds() + 4000 })],
      ['expired', await forge({ iat: nowSeconds() - 700, exp: nowSeconds() - 1 })],
    ];
    for (const [label, token] of cases) {
      const reply = await me(token);
      expect(reply.status, label).toBe(401);
      expectProblem(reply, 401, 'unauthenticated');
    }
  });

  it('expire by the application clock, even once verified and remembered', async () => {
    const session = await bank.request('POST', `${API}/auth/login`, { body: { username: customer.username, password: TEST_PASSWORD } });
    expect((await me(session.body.access_token)).status).toBe(200);
    const start = clock;
    clock = new Date(start.getTime() + 899_000);
    expect((await me(session.body.access_token)).status).toBe(200);
    clock = new Date(start.getTime() + 900_000);
    expectProblem(await me(session.body.access_token), 401, 'unauthenticated');
    clock = start;
  });

  it('stop working at once when their session is revoked, although their signature is remembered', async () => {
    const session = await bank.request('POST', `${API}/auth/login`, { body: { username: customer.username, password: TEST_PASSWORD } });
    expect((await me(session.body.access_token)).status).toBe(200);
    expect((await bank.request('POST', `${API}/auth/logout`, { token: session.body.access_token })).status).toBe(204);
    expectProblem(await me(session.body.access_token), 401, 'unauthenticated');
  });

  it('signed with a key that is no longer configured are refused (a rotation must keep the old key)', async () => {
    const rotatedOut = await startTestBank({ env: { JWT_SECRET: NEW_SECRET } });
    try {
      const user = await rotatedOut.user(uniqueName('rot'));
      const userClaims = decode(user.token, 1);
      const signWith = (secret: string) =>
        new SignJWT({ role: 'customer', sid: userClaims.sid })
          .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: kidOf(secret) })
          .setSubject(user.userId)
          .setIssuer('kosh')
          .setAudience('kosh-api')
          .setIssuedAt()
          .setExpirationTime('10m')
          .sign(encode(secret));
      expect((await rotatedOut.request('GET', `${API}/auth/me`, { token: await signWith(NEW_SECRET) })).status).toBe(200);
      expectProblem(await rotatedOut.request('GET', `${API}/auth/me`, { token: await signWith(OLD_SECRET) }), 401, 'unauthenticated');
    } finally {
      await rotatedOut.close();
    }
  });
});

describe('signing keys', () => {
  it('refuses JWT_PREVIOUS_SECRETS entries shorter than 32 characters', () => {
    expect(() => loadConfig({ JWT_SECRET: NEW_SECRET, JWT_PREVIOUS_SECRETS: `${OLD_SECRET},short` })).toThrow(ConfigError);
    expect(() => loadConfig({ JWT_PREVIOUS_SECRETS: 'short' })).toThrow(/JWT_PREVIOUS_SECRETS/);
    expect(loadConfig({ JWT_PREVIOUS_SECRETS: `${OLD_SECRET},${NEW_SECRET}` }).JWT_PREVIOUS_SECRETS).toBe(`${OLD_SECRET},${NEW_SECRET}`);
  });

  it('rotate in the data directory: the retired key verifies its tokens for one access-token lifetime after the rotation', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'kosh-keys-'));
    try {
      const before = loadSecrets({ dataDir });
      expect(before.jwtPrevious).toEqual([]);
      expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);
      expect(loadSecrets({ dataDir }).jwt.kid).toBe(before.jwt.kid);

      let clock = new Date('2031-05-01T12:00:00Z');
      const options = { issuer: 'kosh', audience: 'kosh-api', accessTokenTtlSeconds: 900, now: () => clock };
      const oldService = createTokenService({ ...options, keys: { current: before.jwt } });
      const claims = { userId: crypto.randomUUID(), role: 'customer' as const, sessionId: crypto.randomUUID() };
      const oldToken = await oldService.signAccessToken(claims);

      const rotatedAt = new Date(clock.getTime() + 60_000);
      const newKid = rotateJwtSecret({ dataDir, now: rotatedAt });
      const after = loadSecrets({ dataDir });
      expect(after.jwt.kid).toBe(newKid);
      expect(after.jwt.kid).not.toBe(before.jwt.kid);
      expect(after.jwtPrevious.map((key) => [key.kid, key.retiredAt?.toISOString()])).toEqual([[before.jwt.kid, rotatedAt.toISOString()]]);
      expect(statSync(join(dataDir, 'secrets.json')).mode & 0o777).toBe(0o600);

      const newService = createTokenService({ ...options, keys: { current: after.jwt, previous: after.jwtPrevious } });
      clock = new Date(rotatedAt.getTime() + 1_000);
      expect(await newService.verifyAccessToken(oldToken)).toEqual(claims);
      const newToken = await newService.signAccessToken(claims);
      expect(decode(newToken, 0).kid).toBe(newKid);
      expect(await newService.verifyAccessToken(newToken)).toEqual(claims);
      // A token minted with the retired key after its retirement (a leaked key) still dies with the key.
      const forgedLater = await createTokenService({ ...options, keys: { current: before.jwt } }).signAccessToken(claims);
      expect(await newService.verifyAccessToken(forgedLater)).toEqual(claims);
      clock = new Date(rotatedAt.getTime() + 900_000);
      expect(await newService.verifyAccessToken(forgedLater)).toBeUndefined();
      expect(await newService.verifyAccessToken(newToken)).toEqual(claims);

      // Rotating again keeps both retired keys while they are recent.
      rotateJwtSecret({ dataDir, now: new Date(rotatedAt.getTime() + 3_600_000) });
      expect(loadSecrets({ dataDir }).jwtPrevious.map((key) => key.kid)).toEqual([after.jwt.kid, before.jwt.kid]);
      // ...and drops those retired more than two days ago: only the one it retires now is left.
      const third = loadSecrets({ dataDir }).jwt.kid;
      rotateJwtSecret({ dataDir, now: new Date(rotatedAt.getTime() + 3 * 86_400_000) });
      expect(loadSecrets({ dataDir }).jwtPrevious.map((key) => key.kid)).toEqual([third]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a secret from the environment wins; retired ones come from JWT_PREVIOUS_SECRETS, without the current one', () => {
    const secrets = loadSecrets({ dataDir: '/nonexistent', jwtSecret: NEW_SECRET, jwtPreviousSecrets: `${OLD_SECRET}, ${NEW_SECRET} ,` });
    expect(secrets.jwt.kid).toBe(kidOf(NEW_SECRET));
    expect(secrets.jwtPrevious.map((key) => key.kid)).toEqual([kidOf(OLD_SECRET)]);
  });
});
