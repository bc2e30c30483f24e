/**
 * Cron expressions in the bank's time zone (croner: five fields, or six with seconds first).
 * A schedule enqueues one job per occurrence with the occurrence's time as its singleton key, so
 * that several processes running workers start each occurrence once. An occurrence that falls
 * while no worker process runs is skipped (the next one runs); daily and monthly work must
 * therefore catch up on its own (interest accrues for every day since the last run).
 */
import { Cron } from 'croner';

/** The first occurrence of `cron` strictly after `after`, in `timeZone`; null when there is none. */
export function nextRunAt(cron: string, timeZone: string, after: Date): Date | null {
  const pattern = new Cron(cron, { timezone: timeZone, paused: true });
  try {
    return pattern.nextRun(after);
  } finally {
    pattern.stop();
  }
}

/** Refuses an expression croner cannot read, at declaration time rather than at the first run. */
export function checkCron(cron: string, timeZone: string): void {
  nextRunAt(cron, timeZone, new Date());
}
