/**
 * JWT access tokens: HS256 only (the algorithm is pinned on both signing and verification), with
 * issuer, audience, expiry and a key id. Anything else (alg "none", another algorithm, a wrong key,
 * issuer or audience, an expired or malformed token) fails verification.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { ROLES, type Role } from '../../core/roles.js';
import type { SigningKey } from '../secrets.js';

export interface AccessClaims {
  readonly userId: string;
  readonly role: Role;
  readonly sessionId: string;
}

export interface TokenService {
  readonly accessTokenTtlSeconds: number;
  signAccessToken(claims: AccessClaims): Promise<string>;
  /** Returns the claims, or undefined when the token is not acceptable for any reason. */
  verifyAccessToken(token: string): Promise<AccessClaims | undefined>;
}

const ALGORITHM = 'HS256';

/** Verified tokens kept in memory, so that a token's signature is checked once, not per request. */
const VERIFIED_TOKENS_MAX = 20_000;

export function createTokenService(options: {
  key: SigningKey;
  issuer: string;
  audience: string;
  accessTokenTtlSeconds: number;
}): TokenService {
  // Only the signature check is cached; expiry is checked on every use, and revocation is the
  // session check's job.
  const verified = new LRUCache<string, { claims: AccessClaims; expiresAtMs: number }>({ max: VERIFIED_TOKENS_MAX });
  return {
    accessTokenTtlSeconds: options.accessTokenTtlSeconds,
    async signAccessToken(claims) {
      return new SignJWT({ role: claims.role, sid: claims.sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: options.key.kid })
        .setSubject(claims.userId)
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${options.accessTokenTtlSeconds}s`)
        .sign(options.key.secret);
    },
    async verifyAccessToken(token) {
      const cached = verified.get(token);
      if (cached !== undefined) {
        if (cached.expiresAtMs > Date.now()) return cached.claims;
        verified.delete(token);
        return undefined;
      }
      try {
        const { payload, protectedHeader } = await jwtVerify(token, options.key.secret, {
          algorithms: [ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        if (protectedHeader.kid !== options.key.kid) return undefined;
        const role = payload.role;
        const sessionId = payload.sid;
        if (typeof payload.sub !== 'string' || typeof sessionId !== 'string') return undefined;
        if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return undefined;
        const claims: AccessClaims = { userId: payload.sub, role: role as Role, sessionId };
        if (typeof payload.exp === 'number') verified.set(token, { claims, expiresAtMs: payload.exp * 1000 });
        return claims;
      } catch {
        return undefined;
      }
    },
  };
}
