/**
 * JWT access tokens: HS256 only (the algorithm is pinned on both signing and verification), with
 * issuer, audience, expiry, type and a key id. Anything else (alg "none", another algorithm, a
 * wrong key, an unknown key id, a wrong issuer or audience, an expired, too old or malformed token)
 * fails verification.
 *
 * Key rotation: the current key signs; retired keys still verify the tokens they signed, so that a
 * rotation logs nobody out. A key retired at a known time (rotated in the data directory) verifies
 * only for one access-token lifetime after its retirement.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, decodeProtectedHeader, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { ROLES, type Role } from '../../core/roles.js';
import type { SigningKey } from '../secrets.js';

export interface AccessClaims {
  readonly userId: string;
  readonly role: Role;
  readonly sessionId: string;
  /**
   * SHA-256 (base64url) of the CSRF token of a cookie session; absent for bearer sessions. A
   * cookie-authenticated write must carry the token whose hash this is.
   */
  readonly csrfHash?: string;
}

export interface TokenService {
  readonly accessTokenTtlSeconds: number;
  signAccessToken(claims: AccessClaims): Promise<string>;
  /** Returns the claims, or undefined when the token is not acceptable for any reason. */
  verifyAccessToken(token: string): Promise<AccessClaims | undefined>;
}

const ALGORITHM = 'HS256';
const TYPE = 'JWT';

/** Verified tokens kept in memory, so that a token's signature is checked once, not per request. */
const VERIFIED_TOKENS_MAX = 20_000;

/** Clock skew tolerated between the processes of one bank, for the token's age. */
const CLOCK_SKEW_SECONDS = 60;

export function createTokenService(options: {
  keys: { current: SigningKey; previous?: readonly SigningKey[] };
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
  /** The clock (the application's, so that tests can move it). */
  now?: () => Date;
}): TokenService {
  const now = options.now ?? (() => new Date());
  const ttlSeconds = options.accessTokenTtlSeconds;
  const current = options.keys.current;
  const keysById = new Map<string, SigningKey>();
  for (const key of options.keys.previous ?? []) keysById.set(key.kid, key);
  keysById.set(current.kid, current);

  /** When a key stops verifying (ms since the epoch); Infinity for the current and configured keys. */
  const keyValidUntilMs = (key: SigningKey) => (key.retiredAt === undefined ? Infinity : key.retiredAt.getTime() + ttlSeconds * 1000);

  // Only the signature check is cached; expiry is checked on every use (against the same clock),
  // and revocation is the session check's job. The key ring is fixed for the life of the service,
  // so a cached verification stays right until the token or its key expires.
  const verified = new LRUCache<string, { claims: AccessClaims; validUntilMs: number }>({ max: VERIFIED_TOKENS_MAX });

  async function verifyUncached(token: string, nowDate: Date): Promise<{ claims: AccessClaims; validUntilMs: number } | undefined> {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return undefined;
    }
    const key = typeof kid === 'string' ? keysById.get(kid) : undefined;
    if (key === undefined || keyValidUntilMs(key) <= nowDate.getTime()) return undefined;
    try {
      const { payload } = await jwtVerify(token, key.secret, {
        algorithms: [ALGORITHM],
        typ: TYPE,
        issuer: options.issuer,
        audience: options.audience,
        requiredClaims: ['sub', 'exp', 'iat'],
        currentDate: nowDate,
        maxTokenAge: ttlSeconds + CLOCK_SKEW_SECONDS,
      });
      const role = payload.role;
      const sessionId = payload.sid;
      const csrfHash = payload.csrf;
      if (typeof payload.sub !== 'string' || typeof sessionId !== 'string' || typeof payload.exp !== 'number') return undefined;
      if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return undefined;
      if (csrfHash !== undefined && typeof csrfHash !== 'string') return undefined;
      const claims: AccessClaims =
        csrfHash === undefined
          ? { userId: payload.sub, role: role as Role, sessionId }
          : { userId: payload.sub, role: role as Role, sessionId, csrfHash };
      return { claims, validUntilMs: Math.min(payload.exp * 1000, keyValidUntilMs(key)) };
    } catch {
      return undefined;
    }
  }

  return {
    accessTokenTtlSeconds: ttlSeconds,
    async signAccessToken(claims) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const payload: Record<string, string> = { role: claims.role, sid: claims.sessionId };
      if (claims.csrfHash !== undefined) payload.csrf = claims.csrfHash;
      return new SignJWT(payload)
        .setProtectedHeader({ alg: ALGORITHM, typ: TYPE, kid: current.kid })
        .setSubject(claims.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt(issuedAt)
        .setJti(randomUUID())
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(current.secret);
    },
    async verifyAccessToken(token) {
      const nowDate = now();
      const cached = verified.get(token);
      if (cached !== undefined) {
        if (cached.validUntilMs > nowDate.getTime()) return cached.claims;
        verified.delete(token);
        return undefined;
      }
      const result = await verifyUncached(token, nowDate);
      if (result === undefined) return undefined;
      verified.set(token, result);
      return result.claims;
    },
  };
}
