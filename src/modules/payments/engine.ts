/**
 * The transfer engine. One database transaction per transfer cannot move money fast enough: each
 * pays for its own round trips, locks and commit. The engine queues concurrent deposits,
 * withdrawals and transfers and posts them in batches, one transaction per batch (see
 * post-batch.ts for what a batch does and guarantees). Each caller gets its own result.
 *
 * Scheduling (group commit): when no batch is being posted, the first movement goes at once, so
 * an idle bank answers without delay. While batches are in flight, movements gather; a new batch
 * starts when one is full or after a short wait. Everything is bounded: batch size, wait, batches
 * in flight, and the queue (beyond it: 503 with Retry-After).
 *
 * Failures: a serialization failure or deadlock re-runs the whole batch (bounded). Any other
 * database error in a batch of several is isolated by posting the two halves separately, so one
 * bad movement cannot fail the others.
 */
import { DomainError } from '../../core/errors.js';
import type { AppContext } from '../../platform/context.js';
import type { CommandResponse } from '../../platform/http/idempotency.js';
import { mapError } from '../../platform/http/problem.js';
import { postBatch, type BatchResult, type MovementCommand, type RenderTransfer } from './post-batch.js';

export interface EngineLimits {
  readonly batchSizeMax: number;
  readonly batchWaitMs: number;
  readonly queueLengthMax: number;
  readonly batchesInFlightMax: number;
}

interface Pending {
  readonly command: MovementCommand;
  /** The ledger accounts the command touches. */
  readonly accounts: readonly string[];
  readonly resolve: (response: CommandResponse) => void;
  readonly reject: (error: unknown) => void;
}

/** How far into the queue a batch looks for commands whose accounts are free. */
const SCAN_MAX = 5000;

export const overloaded = () =>
  new DomainError({
    code: 'overloaded',
    kind: 'unavailable',
    message: 'Too many money movements are waiting; retry in a moment.',
    retryAfterSeconds: 1,
  });

export class TransferEngine {
  private queue: Pending[] = [];
  private inFlight = 0;
  /** Ledger accounts touched by batches in flight (with how many batches touch each). */
  private readonly busy = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private waitOver = false;

  constructor(
    private readonly context: AppContext,
    private readonly limits: EngineLimits,
    private readonly render: RenderTransfer,
  ) {}

  /** Queues a movement; resolves with its response (201, a refusal or a replay). */
  submit(command: MovementCommand): Promise<CommandResponse> {
    if (this.queue.length >= this.limits.queueLengthMax) return Promise.reject(overloaded());
    return new Promise<CommandResponse>((resolve, reject) => {
      const accounts = [...new Set(command.postings.map((posting) => posting.accountId))];
      this.queue.push({ command, accounts, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when every queued and in-flight movement has its answer (at shutdown). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private schedule(): void {
    while (this.queue.length > 0 && this.inFlight < this.limits.batchesInFlightMax) {
      const full = this.queue.length >= this.limits.batchSizeMax;
      if (this.inFlight > 0 && !full && !this.waitOver) {
        this.timer ??= setTimeout(() => {
          this.timer = undefined;
          this.waitOver = true;
          this.schedule();
        }, this.limits.batchWaitMs);
        return;
      }
      const batch = this.takeBatch();
      // Everything waiting touches an account of a batch in flight: its end will schedule again.
      if (batch.length === 0) return;
      this.waitOver = false;
      this.inFlight += 1;
      void this.post(batch).finally(() => {
        this.inFlight -= 1;
        this.release(batch);
        this.schedule();
      });
    }
  }

  /**
   * Takes the next batch: commands in arrival order whose accounts no batch in flight touches, so
   * that concurrent batches never wait for each other's row locks. A command left behind holds
   * back every later command on its accounts, so each account still sees its commands in arrival
   * order.
   */
  private takeBatch(): Pending[] {
    const batch: Pending[] = [];
    const held = new Set<string>();
    const rest: Pending[] = [];
    let scanned = 0;
    for (const pending of this.queue) {
      scanned += 1;
      const eligible =
        batch.length < this.limits.batchSizeMax &&
        scanned <= SCAN_MAX &&
        pending.accounts.every((account) => !this.busy.has(account) && !held.has(account));
      if (eligible) {
        batch.push(pending);
      } else {
        rest.push(pending);
        for (const account of pending.accounts) held.add(account);
      }
    }
    this.queue = rest;
    for (const pending of batch) {
      for (const account of pending.accounts) this.busy.set(account, (this.busy.get(account) ?? 0) + 1);
    }
    return batch;
  }

  private release(batch: readonly Pending[]): void {
    for (const pending of batch) {
      for (const account of pending.accounts) {
        const count = (this.busy.get(account) ?? 1) - 1;
        if (count === 0) this.busy.delete(account);
        else this.busy.set(account, count);
      }
    }
  }

  private async post(batch: readonly Pending[]): Promise<void> {
    let results: BatchResult[];
    const started = performance.now();
    try {
      results = await this.context.transactScripted((runner) => postBatch(this.context, runner, batch.map((pending) => pending.command), this.render));
    } catch (error) {
      const unavailable = mapError(error, '').problem.status === 503;
      if (batch.length > 1 && !unavailable) {
        const middle = Math.ceil(batch.length / 2);
        await this.post(batch.slice(0, middle));
        await this.post(batch.slice(middle));
        return;
      }
      for (const pending of batch) pending.reject(error);
      return;
    }
    const metrics = this.context.metrics;
    metrics.engineBatchSize.observe(batch.length);
    metrics.engineBatchDuration.observe((performance.now() - started) / 1000);
    results.forEach((result, index) => {
      const pending = batch[index] as Pending;
      const outcome = result.kind === 'posted' ? 'posted' : result.kind === 'replayed' ? 'replayed' : result.error.code;
      metrics.moneyMovements.inc({ type: pending.command.kind, outcome });
      pending.resolve(result.response);
    });
  }
}

const engines = new WeakMap<AppContext, TransferEngine>();

/** The engine of an application (one per process; PGlite posts one batch at a time). */
export function engineFor(context: AppContext, render: RenderTransfer): TransferEngine {
  let engine = engines.get(context);
  if (engine === undefined) {
    const config = context.config;
    engine = new TransferEngine(
      context,
      {
        batchSizeMax: config.ENGINE_BATCH_SIZE_MAX,
        batchWaitMs: config.ENGINE_BATCH_WAIT_MS,
        queueLengthMax: config.ENGINE_QUEUE_LENGTH_MAX,
        batchesInFlightMax: context.database.kind === 'pglite' ? 1 : config.ENGINE_BATCHES_IN_FLIGHT_MAX,
      },
      render,
    );
    engines.set(context, engine);
    const started = engine;
    context.onShutdown(() => started.drain());
  }
  return engine;
}
