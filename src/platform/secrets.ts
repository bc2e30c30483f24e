/**
 * Signing secrets. A secret given in the environment wins; otherwise one is generated once into
 * the data directory (readable only by its owner) and reused on every start, so tokens survive a
 * restart. There is never a default secret in the code. Several processes that serve the same bank
 * must share the secret: set JWT_SECRET for them.
 *
 * Keys rotate without logging anyone out: the current key signs, retired keys still verify the
 * tokens they signed. With JWT_SECRET, retired secrets are listed in JWT_PREVIOUS_SECRETS; with the
 * data directory, rotateJwtSecret moves the current secret to the retired list (with the time of
 * retirement, after which its tokens live at most one access-token lifetime) and makes a new one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SigningKey {
  /** Key id carried in each token's header, so that keys can be rotated. */
  readonly kid: string;
  readonly secret: Uint8Array;
  /** When the key stopped signing; absent for the current key and for keys retired by configuration. */
  readonly retiredAt?: Date;
}

export interface Secrets {
  /** The key that signs new tokens. */
  readonly jwt: SigningKey;
  /** Retired keys that still verify the tokens they signed. */
  readonly jwtPrevious: readonly SigningKey[];
}

interface StoredSecrets {
  jwt_secret: string;
  jwt_retired?: { secret: string; retired_at: string }[];
}

/** Retired keys kept in the data directory at most this long (far past any access token's life). */
const RETIRED_KEEP_MS = 2 * 86_400_000;

function keyFrom(secret: Uint8Array, retiredAt?: Date): SigningKey {
  const kid = createHash('sha256').update(secret).digest('hex').slice(0, 16);
  return retiredAt === undefined ? { kid, secret } : { kid, secret, retiredAt };
}

function fromText(secret: string): SigningKey {
  return keyFrom(new TextEncoder().encode(secret));
}

function secretsPath(dataDir: string): string {
  return join(dataDir, 'secrets.json');
}

function newSecretText(): string {
  return randomBytes(48).toString('base64url');
}

function readStored(path: string): StoredSecrets {
  const stored = JSON.parse(readFileSync(path, 'utf8')) as { jwt_secret?: unknown; jwt_retired?: unknown };
  if (typeof stored.jwt_secret !== 'string' || stored.jwt_secret.length < 43) {
    throw new Error(`${path} does not hold a valid jwt_secret`);
  }
  const retired = Array.isArray(stored.jwt_retired) ? stored.jwt_retired : [];
  const valid = retired.filter(
    (item): item is { secret: string; retired_at: string } =>
      typeof item?.secret === 'string' && item.secret.length >= 43 && typeof item?.retired_at === 'string' && !Number.isNaN(Date.parse(item.retired_at)),
  );
  return { jwt_secret: stored.jwt_secret, jwt_retired: valid };
}

/** Writes the file whole (a temporary file renamed over it), so that readers never see half of it. */
function writeStored(path: string, stored: StoredSecrets): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, path);
}

function ensureStored(dataDir: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = secretsPath(dataDir);
  if (!existsSync(path)) {
    try {
      writeFileSync(path, `${JSON.stringify({ jwt_secret: newSecretText() }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first; use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return path;
}

export function loadSecrets(options: {
  dataDir: string;
  jwtSecret?: string | undefined;
  /** Comma-separated retired secrets (JWT_PREVIOUS_SECRETS); used with jwtSecret. */
  jwtPreviousSecrets?: string | undefined;
  ephemeral?: boolean;
}): Secrets {
  if (options.jwtSecret !== undefined) {
    const previous = (options.jwtPreviousSecrets ?? '')
      .split(',')
      .map((secret) => secret.trim())
      .filter((secret) => secret !== '' && secret !== options.jwtSecret)
      .map(fromText);
    return { jwt: fromText(options.jwtSecret), jwtPrevious: previous };
  }
  if (options.ephemeral === true) return { jwt: keyFrom(randomBytes(32)), jwtPrevious: [] };
  const stored = readStored(ensureStored(options.dataDir));
  return {
    jwt: keyFrom(Buffer.from(stored.jwt_secret, 'base64url')),
    jwtPrevious: (stored.jwt_retired ?? []).map((item) => keyFrom(Buffer.from(item.secret, 'base64url'), new Date(item.retired_at))),
  };
}

/**
 * Rotates the signing secret kept in the data directory: a new secret signs from the next start on,
 * and the old one keeps verifying its tokens until they expire. Retired secrets older than two days
 * are dropped. Returns the new key id. Processes that already run keep their keys until restarted.
 */
export function rotateJwtSecret(options: { dataDir: string; now?: Date }): string {
  const now = options.now ?? new Date();
  const path = ensureStored(options.dataDir);
  const stored = readStored(path);
  const kept = (stored.jwt_retired ?? []).filter((item) => now.getTime() - Date.parse(item.retired_at) < RETIRED_KEEP_MS);
  const next = newSecretText();
  writeStored(path, { jwt_secret: next, jwt_retired: [{ secret: stored.jwt_secret, retired_at: now.toISOString() }, ...kept] });
  return keyFrom(Buffer.from(next, 'base64url')).kid;
}
