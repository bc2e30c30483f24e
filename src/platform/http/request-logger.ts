/**
 * Each request's logger, made when the request first logs something. Fastify gives every request a
 * child logger bound to its id; making one serializes the bindings through the redaction rules,
 * which cost more than a request logs at the default level (nothing). The child made on first use
 * writes exactly what the eager one would.
 */
import type { FastifyBaseLogger, FastifyLogFn as LogFn } from 'fastify';

type Bindings = Parameters<FastifyBaseLogger['child']>[0];
type ChildLoggerOptions = NonNullable<Parameters<FastifyBaseLogger['child']>[1]>;
type Level = FastifyBaseLogger['level'];

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

type Parent = FastifyBaseLogger & { isLevelEnabled?: (level: string) => boolean };

class RequestLogger {
  declare fatal: LogFn;
  declare error: LogFn;
  declare warn: LogFn;
  declare info: LogFn;
  declare debug: LogFn;
  declare trace: LogFn;
  declare silent: LogFn;
  private made: FastifyBaseLogger | undefined = undefined;

  constructor(
    private readonly parent: Parent,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The real child logger, made on first use. */
  get logger(): FastifyBaseLogger {
    this.made ??= this.parent.child(this.bindings, this.options);
    return this.made;
  }

  /** Whether a line at this level would be written (the child's level is the parent's until changed). */
  enabled(level: string): boolean {
    if (this.made !== undefined) return true;
    return this.parent.isLevelEnabled === undefined || this.parent.isLevelEnabled(level);
  }

  get level(): Level {
    return this.made?.level ?? this.parent.level;
  }

  set level(level: Level) {
    this.logger.level = level;
  }

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.logger.child(bindings, options);
  }
}

for (const level of LEVELS) {
  Object.defineProperty(RequestLogger.prototype, level, {
    value(this: RequestLogger, ...args: Parameters<LogFn>) {
      if (this.enabled(level)) this.logger[level](...args);
    },
  });
}
Object.defineProperty(RequestLogger.prototype, 'silent', { value: () => undefined });

/** Fastify's `childLoggerFactory`: a request logger that is made when first used. */
export function lazyChildLogger(parent: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLogger(parent, bindings, options) as unknown as FastifyBaseLogger;
}
