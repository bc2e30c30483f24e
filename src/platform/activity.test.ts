import { describe, expect, it } from 'vitest';
import type { Database } from './db/database.js';
import { eventLoopUtilization, requestPressure, RequestActivity } from './activity.js';

describe('RequestActivity', () => {
  it('is active while a request runs and for the hold after the last one ends', () => {
    let now = 1_000;
    const activity = new RequestActivity(() => now);
    expect(activity.activeWithin(250)).toBe(false);
    const endFirst = activity.begin();
    const endSecond = activity.begin();
    now += 10_000;
    expect(activity.activeWithin(250)).toBe(true);
    endFirst();
    endFirst();
    expect(activity.activeWithin(250)).toBe(true);
    endSecond();
    now += 249;
    expect(activity.activeWithin(250)).toBe(true);
    now += 1;
    expect(activity.activeWithin(250)).toBe(false);
  });
});

describe('requestPressure', () => {
  const database = (waiting: number, contendedAtMs = 0) =>
    ({ poolStats: () => ({ total: 1, idle: 0, waiting, contendedAtMs }) }) as unknown as Database;
  const idleLoop = () => 0.1;
  const busyLoop = () => 0.9;

  it('is idle without requests, whatever background work does', () => {
    const activity = new RequestActivity();
    // Background work waiting for sessions among itself, or keeping the loop busy, is no pressure.
    expect(requestPressure(database(3), activity, 250, busyLoop)()).toBe('idle');
    expect(requestPressure(database(0, Date.now()), activity, 250, idleLoop)()).toBe('idle');
  });

  it('is shared while requests run, and pressed when they wait for a session or the loop is busy', () => {
    const activity = new RequestActivity();
    const end = activity.begin();
    expect(requestPressure(database(0), activity, 250, idleLoop)()).toBe('shared');
    expect(requestPressure(database(3), activity, 250, idleLoop)()).toBe('pressed');
    expect(requestPressure(database(0, Date.now()), activity, 250, idleLoop)()).toBe('pressed');
    expect(requestPressure(database(0, Date.now() - 1000), activity, 250, idleLoop)()).toBe('shared');
    expect(requestPressure(database(0), activity, 250, busyLoop)()).toBe('pressed');
    end();
  });

  it('samples the event loop utilization over windows', async () => {
    const utilization = eventLoopUtilization(20);
    const spinUntil = Date.now() + 30;
    while (Date.now() < spinUntil) {
      // keep the loop busy
    }
    const busy = utilization();
    expect(busy).toBeGreaterThan(0.5);
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(utilization()).toBeLessThan(0.5);
  });
});
