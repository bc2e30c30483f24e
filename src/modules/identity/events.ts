/**
 * In-process identity events, for modules that react to sign-ins (a notifications module will
 * e-mail a user about a sign-in from a new device or a lock). Events are emitted after the change
 * they report has committed. Listeners run synchronously in registration order; their errors
 * (thrown or rejected) are reported as process warnings and never reach the request that emitted
 * the event. Each application (context) has its own bus.
 */
import type { AppContext } from '../../platform/context.js';
import type { LoginOutcome } from './session-store.js';

interface SignInOrigin {
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** A readable device name derived from the user agent ("Firefox on Linux"). */
  readonly device: string;
}

export interface IdentityEvents {
  'login.succeeded': SignInOrigin & {
    readonly at: Date;
    readonly userId: string;
    readonly sessionId: string;
    /** No earlier successful sign-in of this user with this user agent. */
    readonly newDevice: boolean;
  };
  'login.failed': SignInOrigin & {
    readonly at: Date;
    /** The user the name belongs to, or null when it names nobody. */
    readonly userId: string | null;
    readonly username: string;
    readonly outcome: Exclude<LoginOutcome, 'success'>;
  };
  'user.locked': SignInOrigin & {
    readonly at: Date;
    readonly userId: string;
    readonly lockedUntil: Date;
    readonly failedAttempts: number;
  };
}

export type IdentityEventName = keyof IdentityEvents;
export type IdentityListener<K extends IdentityEventName> = (event: IdentityEvents[K]) => void | Promise<void>;

export interface IdentityEventBus {
  /** Subscribes; returns a function that unsubscribes. */
  on<K extends IdentityEventName>(name: K, listener: IdentityListener<K>): () => void;
  emit<K extends IdentityEventName>(name: K, event: IdentityEvents[K]): void;
}

function report(name: string, error: unknown): void {
  process.emitWarning(`identity event listener for ${name} failed: ${error instanceof Error ? error.message : String(error)}`, 'KoshEventWarning');
}

function createBus(): IdentityEventBus {
  const listeners = new Map<IdentityEventName, Set<(event: never) => void | Promise<void>>>();
  return {
    on(name, listener) {
      let set = listeners.get(name);
      if (set === undefined) {
        set = new Set();
        listeners.set(name, set);
      }
      const entry = listener as (event: never) => void | Promise<void>;
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },
    emit(name, event) {
      for (const listener of listeners.get(name) ?? []) {
        try {
          const result = (listener as IdentityListener<typeof name>)(event);
          if (result instanceof Promise) result.catch((error: unknown) => report(name, error));
        } catch (error) {
          report(name, error);
        }
      }
    },
  };
}

const buses = new WeakMap<AppContext, IdentityEventBus>();

/** The identity event bus of an application. */
export function identityEvents(context: AppContext): IdentityEventBus {
  let bus = buses.get(context);
  if (bus === undefined) {
    bus = createBus();
    buses.set(context, bus);
  }
  return bus;
}
