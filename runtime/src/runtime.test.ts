import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classifyKafkaFailure,
  classifyMqttFailure,
  classifyPostgresFailure,
  classifyRegistryFailure,
} from './failures.js';
import { HealthServer } from './health-server.js';
import { runService, StopOnce } from './lifecycle.js';
import { createLogger } from './log.js';
import { AbortedError, backoffMs, retry } from './retry.js';

describe('createLogger', () => {
  it('writes one JSON object per line with time, level, component, msg, then the fields', () => {
    const lines: string[] = [];
    const log = createLogger({
      component: 'sink',
      level: 'info',
      write: (l) => lines.push(l),
      now: () => new Date(0),
    });
    log.debug('dropped below the level');
    log
      .child({ partition: 2 })
      .warn('database unavailable', { error: 'ECONNREFUSED', msg: 'not this', skip: undefined });
    expect(lines).toEqual([
      '{"time":"1970-01-01T00:00:00.000Z","level":"warn","component":"sink","msg":"database unavailable","partition":2,"error":"ECONNREFUSED"}',
    ]);
  });
});

describe('backoff and retry', () => {
  it('each wait is between half and all of a cap that doubles up to the maximum', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 100 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (attempt, r) => {
          const cap = Math.min(10_000, 200 * 2 ** (attempt - 1));
          const w = backoffMs({ initialMs: 200, maxMs: 10_000 }, attempt, r);
          return w >= cap / 2 && w <= cap;
        },
      ),
    );
  });

  it('retries temporary failures, rethrows a permanent one, stops on abort', async () => {
    const signal = new AbortController().signal;
    let calls = 0;
    const waits: number[] = [];
    const ok = await retry(
      () => (++calls < 3 ? Promise.reject(new Error('ECONNREFUSED')) : Promise.resolve('done')),
      { signal, initialMs: 1, maxMs: 2, isTemporary: () => true, onFailure: (_e, _a, w) => waits.push(w) },
    );
    expect([ok, calls, waits.length]).toEqual(['done', 3, 2]);
    const refused = new Error('refused');
    await expect(
      retry(() => Promise.reject(refused), { signal, initialMs: 1, maxMs: 1, isTemporary: () => false }),
    ).rejects.toBe(refused);
    const abort = new AbortController();
    const pending = retry(() => Promise.reject(new Error('down')), {
      signal: abort.signal,
      initialMs: 60_000,
      maxMs: 60_000,
      isTemporary: () => true,
    });
    abort.abort();
    await expect(pending).rejects.toBeInstanceOf(AbortedError);
  });
});

describe('one classification of failures', () => {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
  it.each([
    ['registry: no connection', classifyRegistryFailure(socket), 'temporary'],
    ['registry: 503', classifyRegistryFailure({ status: 503, message: 'unavailable' }), 'temporary'],
    ['registry: 429', classifyRegistryFailure({ status: 429 }), 'temporary'],
    [
      'registry: 400 hiding a refused connection',
      classifyRegistryFailure({ status: 400, message: 'ECONNREFUSED' }),
      'temporary',
    ],
    [
      'registry: 404 unknown schema id',
      classifyRegistryFailure({ status: 404, message: 'Schema 7 not found' }),
      'permanent',
    ],
    [
      'registry: 409 incompatible',
      classifyRegistryFailure({ status: 409, message: 'incompatible' }),
      'permanent',
    ],
    ['registry: 401', classifyRegistryFailure({ status: 401, message: 'unauthorized' }), 'permanent'],
    ['postgres: no connection', classifyPostgresFailure(socket), 'temporary'],
    [
      'postgres: 57P01 admin shutdown',
      classifyPostgresFailure({ code: '57P01', severity: 'FATAL' }),
      'temporary',
    ],
    [
      'postgres: 40001 serialization',
      classifyPostgresFailure({ code: '40001', severity: 'ERROR' }),
      'temporary',
    ],
    [
      'postgres: 42P01 no table (retried, logged)',
      classifyPostgresFailure({ code: '42P01', severity: 'ERROR' }),
      'temporary',
    ],
    [
      'postgres: 23514 check violation',
      classifyPostgresFailure({ code: '23514', severity: 'ERROR' }),
      'permanent',
    ],
    ['postgres: 22P02 bad text', classifyPostgresFailure({ code: '22P02', severity: 'ERROR' }), 'permanent'],
    ['mqtt: connection lost', classifyMqttFailure(socket), 'temporary'],
    [
      'mqtt: v5 135 not authorized',
      classifyMqttFailure({ code: 135, message: 'Connection refused: Not authorized' }),
      'permanent',
    ],
    ['mqtt: v5 134 bad user name or password', classifyMqttFailure({ code: 134 }), 'permanent'],
    ['mqtt: v5 136 server unavailable', classifyMqttFailure({ code: 136 }), 'temporary'],
  ])('%s: %s', (_what, got, expected) => {
    expect(got).toBe(expected);
  });

  const protocol = (apiId: string, path = '/responses/0/partitions/0') =>
    Object.assign(new Error(apiId), { code: 'PLT_KFK_PROTOCOL', apiId, path });
  const tree = (...errors: unknown[]) =>
    Object.assign(new AggregateError(errors, 'Producing messages failed.'), { code: 'PLT_KFK_MULTIPLE' });
  it.each([
    [
      'every leaf refuses the records',
      tree(tree(protocol('MESSAGE_TOO_LARGE'), protocol('INVALID_RECORD', '/x/record_errors/0'))),
      'permanent',
    ],
    [
      'one partition refused, another had no leader',
      tree(protocol('MESSAGE_TOO_LARGE'), protocol('NOT_LEADER_OR_FOLLOWER')),
      'temporary',
    ],
    ['not enough replicas', tree(protocol('NOT_ENOUGH_REPLICAS')), 'temporary'],
    [
      'a broker unreachable',
      tree(Object.assign(new Error('Connection failed'), { code: 'PLT_KFK_NETWORK', cause: socket })),
      'temporary',
    ],
    ['an empty tree', tree(), 'temporary'],
  ])('kafka: %s', (_what, err, expected) => {
    expect(classifyKafkaFailure(err)).toBe(expected);
  });
});

describe('HealthServer', () => {
  it('serves /metrics, /healthz and /readyz on the port it was given (0: any), and stops twice', async () => {
    let ready = false;
    const server = new HealthServer(
      0,
      '127.0.0.1',
      { metrics: () => Promise.resolve('up 1\n'), contentType: 'text/plain; version=0.0.4' },
      { live: () => true, ready: () => ({ ready, reason: ready ? 'consuming' : 'waiting for kafka' }) },
    );
    await server.start();
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${server.boundPort}${path}`);
      return [res.status, await res.text()];
    };
    try {
      expect(await get('/metrics')).toEqual([200, 'up 1\n']);
      expect(await get('/healthz')).toEqual([200, 'ok\n']);
      expect(await get('/readyz')).toEqual([503, 'waiting for kafka\n']);
      ready = true;
      expect(await get('/readyz')).toEqual([200, 'consuming\n']);
      expect((await get('/other'))[0]).toBe(404);
    } finally {
      await server.stop();
      await server.stop();
    }
  });
});

describe('runService', () => {
  const quiet = createLogger({ component: 'test', level: 'error', write: () => {} });

  it('SIGTERM drains and stops once, then exits 0; a second signal exits 130 at once', async () => {
    const proc = new EventEmitter();
    const exits: number[] = [];
    let stops = 0;
    let release!: () => void;
    const once = new StopOnce(() => {
      stops++;
      return new Promise<void>((r) => (release = r));
    });
    await runService(
      { start: () => Promise.resolve(), stop: () => once.stop() },
      { log: quiet, exit: (c) => exits.push(c), process: proc as unknown as NodeJS.Process },
    );
    proc.emit('SIGTERM', 'SIGTERM');
    proc.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    release();
    await once.stop();
    await new Promise((r) => setImmediate(r));
    expect(exits).toEqual([130, 0]);
    expect(stops).toBe(1);
  });

  it('a failed start exits 1 after stopping what started', async () => {
    const exits: number[] = [];
    let stopped = false;
    await runService(
      {
        start: () => Promise.reject(new Error('ADAPTER_TOPIC_PREFIX invalid')),
        stop: () => Promise.resolve(void (stopped = true)),
      },
      { log: quiet, exit: (c) => exits.push(c), process: new EventEmitter() as unknown as NodeJS.Process },
    );
    expect({ exits, stopped }).toEqual({ exits: [1], stopped: true });
  });
});
