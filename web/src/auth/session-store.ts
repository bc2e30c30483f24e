/**
 * When the current session's access cookie expires, shared by the API client, the session timer
 * and the other tabs (through localStorage, which holds only timestamps, never a token).
 */
const KEY = 'kosh-session-expiry';

export type EndReason = 'signed_out' | 'expired' | 'idle';

interface Expiry {
  readonly accessExpiresAt: number;
  readonly refreshExpiresAt: number;
}

type Listener = () => void;

function read(): Expiry | undefined {
  try {
    const value = JSON.parse(window.localStorage.getItem(KEY) ?? 'null') as Expiry | null;
    return value !== null && typeof value.accessExpiresAt === 'number' ? value : undefined;
  } catch {
    return undefined;
  }
}

function createSessionStore() {
  let expiry = read();
  let lastActivityAt = Date.now();
  const listeners = new Set<Listener>();
  const endListeners = new Set<(reason: EndReason) => void>();
  const emit = () => listeners.forEach((listener) => listener());
  window.addEventListener('storage', (event) => {
    if (event.key !== KEY) return;
    expiry = read();
    emit();
  });
  return {
    started(accessTtlSeconds: number, refreshTtlSeconds: number) {
      const now = Date.now();
      expiry = { accessExpiresAt: now + accessTtlSeconds * 1000, refreshExpiresAt: now + refreshTtlSeconds * 1000 };
      window.localStorage.setItem(KEY, JSON.stringify(expiry));
      lastActivityAt = now;
      emit();
    },
    touched() {
      lastActivityAt = Date.now();
    },
    ended(reason: EndReason) {
      expiry = undefined;
      window.localStorage.removeItem(KEY);
      emit();
      endListeners.forEach((listener) => listener(reason));
    },
    expiry: () => expiry,
    lastActivityAt: () => lastActivityAt,
    subscribe(listener: Listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    onEnded(listener: (reason: EndReason) => void) {
      endListeners.add(listener);
      return () => {
        endListeners.delete(listener);
      };
    },
  };
}

export const session = createSessionStore();
