/**
 * The data encryption key: it protects secrets that must be stored readable (TOTP secrets) with
 * AES-256-GCM, and peppers hashes of low-entropy secrets (transaction PINs) with HMAC-SHA256, so
 * that a copy of the database alone (a leaked backup) reveals neither.
 *
 * DATA_ENCRYPTION_KEY wins when set (any secret of at least 32 characters; the AES and HMAC keys are
 * derived from it with HKDF-SHA256). Otherwise 32 random bytes are generated once into
 * DATA_DIR/data-key.json (readable only by its owner) and reused on every start. An in-memory data
 * directory (tests) gets a key that lives in memory only. Several processes that serve one bank must
 * share the key: set DATA_ENCRYPTION_KEY for them. Losing or changing the key makes the TOTP
 * enrolments and the PINs stored under it unusable (their owners enrol and set them again), so it is
 * backed up apart from the database.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface DataKey {
  /** Key id written into every sealed value, so that a value sealed under another key is recognised. */
  readonly kid: string;
  /**
   * Encrypts with AES-256-GCM under a fresh 96-bit nonce. `context` (for example `totp:<user id>`)
   * is authenticated but not stored: a sealed value copied to another row does not open there.
   */
  seal(plaintext: Uint8Array, context: string): string;
  /** Decrypts a value sealed by `seal` with the same context; throws when it was altered or sealed under another key. */
  open(sealed: string, context: string): Buffer;
  /** HMAC-SHA256 of a value under the key's MAC subkey, base64url. */
  mac(value: string): string;
}

const VERSION = 'v1';

function derive(material: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), info, 32));
}

export function dataKeyFrom(material: Uint8Array): DataKey {
  const encryptionKey = derive(material, 'kosh data encryption v1');
  const macKey = derive(material, 'kosh data mac v1');
  const kid = createHash('sha256').update(derive(material, 'kosh data key id v1')).digest('hex').slice(0, 16);
  return {
    kid,
    seal(plaintext, context) {
      const nonce = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', encryptionKey, nonce);
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
      return [VERSION, kid, nonce.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
    },
    open(sealed, context) {
      const [version, sealedKid, nonce, ciphertext, tag] = sealed.split('.');
      if (version !== VERSION || nonce === undefined || ciphertext === undefined || tag === undefined) {
        throw new Error('The sealed value is not in a known format.');
      }
      if (sealedKid !== kid) throw new Error(`The value was sealed under data key ${sealedKid}, not the current key ${kid}.`);
      const decipher = createDecipheriv('aes-256-gcm', encryptionKey, Buffer.from(nonce, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]);
    },
    mac(value) {
      return createHmac('sha256', macKey).update(value, 'utf8').digest('base64url');
    },
  };
}

function readOrCreate(dataDir: string): Buffer {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'data-key.json');
  if (!existsSync(path)) {
    try {
      writeFileSync(path, `${JSON.stringify({ data_key: randomBytes(32).toString('base64url') }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      // Another process created it first; use theirs.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  const stored = JSON.parse(readFileSync(path, 'utf8')) as { data_key?: unknown };
  const key = typeof stored.data_key === 'string' ? Buffer.from(stored.data_key, 'base64url') : Buffer.alloc(0);
  if (key.length !== 32) throw new Error(`${path} does not hold a valid data_key (32 bytes, base64url)`);
  return key;
}

/** Loads the data key: from the configured secret, from memory (in-memory data directory), or from the data directory. */
export function loadDataKey(options: { dataDir: string; secret?: string | undefined; ephemeral?: boolean }): DataKey {
  if (options.secret !== undefined) return dataKeyFrom(Buffer.from(options.secret, 'utf8'));
  if (options.ephemeral === true) return dataKeyFrom(randomBytes(32));
  return dataKeyFrom(readOrCreate(options.dataDir));
}

const loaded = new WeakMap<object, DataKey>();

/**
 * The data key of a configuration, loaded once per configuration object (so once per process, and
 * once per test bank). DATA_DIR `memory://...` means memory only.
 */
export function dataKeyFor(config: { readonly DATA_DIR: string; readonly dataDir: string; readonly DATA_ENCRYPTION_KEY?: string | undefined }): DataKey {
  let key = loaded.get(config);
  if (key === undefined) {
    key = loadDataKey({ dataDir: config.dataDir, secret: config.DATA_ENCRYPTION_KEY, ephemeral: config.DATA_DIR.startsWith('memory://') });
    loaded.set(config, key);
  }
  return key;
}
