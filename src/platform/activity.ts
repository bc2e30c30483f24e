import { performance } from 'node:perf_hooks';
import type { Database } from './db/database.js';

/**
 * API requests in flight. Background work (jobs, the outbox relay) yields to requests, but only
 * when there are requests: with none, its own jobs waiting for database sessions are no reason to
 * hold back (on PGlite's single session they always wait for each other).
 */
export class RequestActivity {
  private inFlight = 0;
  private lastEndMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly clock: () => number = Date.now) {}

  /** Counts a request until the returned function is called (calling it again does nothing). */
  begin(): () => void {
    this.inFlight += 1;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight -= 1;
      this.lastEndMs = this.clock();
    };
  }

  /** Whether a request is in flight, or one ended less than `holdMs` ago. */
  activeWithin(holdMs: number): boolean {
    return this.inFlight > 0 || this.clock() - this.lastEndMs < holdMs;
  }
}

/** How busy the event loop was over its last completed window (0 to 1), sampled when asked. */
export function eventLoopUtilization(windowMs = 100): () => number {
  let mark = performance.eventLoopUtilization();
  let markedAtMs = Date.now();
  let last = 0;
  return () => {
    const nowMs = Date.now();
    if (nowMs - markedAtMs >= windowMs) {
      last = performance.eventLoopUtilization(mark).utilization;
      mark = performance.eventLoopUtilization();
      markedAtMs = nowMs;
    }
    return last;
  };
}

/** Event loop utilization from which requests count as competing with background work for the CPU. */
export const LOOP_BUSY_UTILIZATION = 0.5;

/**
 * How much background work (jobs, the outbox relay) should hold back for requests:
 * - 'idle': no API request ran within `holdMs`; background work runs at full speed (its own jobs
 *   waiting for database sessions, as on PGlite's single session, are no reason to hold back);
 * - 'shared': requests run; background work goes on, one job at a time per queue;
 * - 'pressed': requests run and either wait, or waited within `holdMs`, for a database session
 *   (PGlite records every wait; for a pool, waits seen when this is asked count as well), or keep
 *   the event loop busy more than half the time; background work looks for work at most once a
 *   second.
 */
export type Pressure = 'idle' | 'shared' | 'pressed';

export function requestPressure(
  database: Database,
  requests: RequestActivity,
  holdMs: number,
  loopUtilization: () => number = eventLoopUtilization(),
): () => Pressure {
  let seenAtMs = 0;
  return () => {
    if (!requests.activeWithin(holdMs)) return 'idle';
    const stats = database.poolStats();
    const nowMs = Date.now();
    if (stats.waiting > 0) seenAtMs = nowMs;
    const waited = nowMs - Math.max(seenAtMs, stats.contendedAtMs ?? 0) < holdMs;
    return waited || loopUtilization() >= LOOP_BUSY_UTILIZATION ? 'pressed' : 'shared';
  };
}
