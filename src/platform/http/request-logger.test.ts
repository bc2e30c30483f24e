import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { lazyChildLogger } from './request-logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  // Fastify's own root logger (pino), as the server makes it.
  const parent = Fastify({ logger: { level, redact: { paths: ['*.password', 'headers.authorization'], censor: '[redacted]' }, stream } }).log;
  let children = 0;
  const child = parent.child;
  // Count the children made, to see that a request that logs nothing makes none.
  parent.child = function counted(this: FastifyBaseLogger, ...args: Parameters<typeof child>) {
    children += 1;
    return child.apply(this, args);
  };
  return { lines, parent: parent as unknown as FastifyBaseLogger, children: () => children };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('lazyChildLogger', () => {
  it('makes no child for lines below the level, and writes nothing', async () => {
    const log = capture('warn');
    const request = lazyChildLogger(log.parent, { reqId: 'r-1' }, {});
    request.info({ route: '/x' }, 'request');
    request.debug('detail');
    await flush();
    expect(log.lines).toEqual([]);
    expect(log.children()).toBe(0);
    expect(request.level).toBe('warn');
  });

  it('writes what an eager child writes: the bindings, the redaction, the message', async () => {
    const lazy = capture('info');
    const eager = capture('info');
    const entry = { headers: { authorization: 'Bearer secret' }, body: { password: 'hunter2', amount: '5.00' } };
    lazyChildLogger(lazy.parent, { reqId: 'r-2' }, {}).warn(entry, 'request failed');
    eager.parent.child({ reqId: 'r-2' }, {}).warn(entry, 'request failed');
    await flush();
    const withoutTime = (line: Record<string, unknown> | undefined) => ({ ...line, time: undefined });
    expect(lazy.lines).toHaveLength(1);
    expect(withoutTime(lazy.lines[0])).toEqual(withoutTime(eager.lines[0]));
    expect(lazy.lines[0]).toMatchObject({ reqId: 'r-2', msg: 'request failed', headers: { authorization: '[redacted]' }, body: { password: '[redacted]' } });
    expect(lazy.children()).toBe(1);
  });

  it('makes its child once, and children of its own carry both bindings', async () => {
    const log = capture('info');
    const request = lazyChildLogger(log.parent, { reqId: 'r-3' }, {});
    request.info('one');
    request.error('two');
    expect(log.children()).toBe(1);
    request.child({ job: 'j' }).info('three');
    await flush();
    expect(log.lines.map((line) => [line.msg, line.reqId, line.job])).toEqual([
      ['one', 'r-3', undefined],
      ['two', 'r-3', undefined],
      ['three', 'r-3', 'j'],
    ]);
  });

  it('follows a level set on it', async () => {
    const log = capture('warn');
    const request = lazyChildLogger(log.parent, { reqId: 'r-4' }, {});
    request.level = 'debug';
    request.debug('now written');
    await flush();
    expect(request.level).toBe('debug');
    expect(log.lines.map((line) => line.msg)).toEqual(['now written']);
  });
});
