/**
 * Signing secrets. A secret given in the environment wins; otherwise one is generated once into
 * the data directory (readable only by its owner) and reused on every start, so tokens survive a
 * restart. There is never a default secret in the code. Several processes that serve the same bank
 * must share the secret: set JWT_SECRET for them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningKey {
  /** Key id carried in each token's header, so that keys can be rotated. */
  readonly kid: string;
  readonly secret: Uint8Array;
}

export interface Secrets {
  readonly jwt: SigningKey;
}

function keyFrom(secret: Uint8Array): SigningKey {
  return { kid: createHash('sha256').update(secret).digest('hex').slice(0, 16), secret };
}

export function loadSecrets(options: { dataDir: string; jwtSecret?: string | undefined; ephemeral?: boolean }): Secrets {
  if (options.jwtSecret !== undefined) return { jwt: keyFrom(new TextEncoder().encode(options.jwtSecret)) };
  if (options.ephemeral === true) return { jwt: keyFrom(randomBytes(32)) };
  mkdirSync(options.dataDir, { recursive: true });
  const path = join(options.dataDir, 'secrets.json');
  if (!existsSync(path)) {
    const generated = { jwt_secret: randomBytes(48).toString('base64url') };
    try {
      writeFileSync(path, `${JSON.stringify(generated, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first; use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const stored = JSON.parse(readFileSync(path, 'utf8')) as { jwt_secret?: unknown };
  if (typeof stored.jwt_secret !== 'string' || stored.jwt_secret.length < 43) {
    throw new Error(`${path} does not hold a valid jwt_secret`);
  }
  return { jwt: keyFrom(Buffer.from(stored.jwt_secret, 'base64url')) };
}
