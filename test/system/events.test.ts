import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEventBus,
  type EventBus,
  InProcessEventBus,
  RedisEventBus,
} from '../../src/infra/events/index.js';
import { testConfig } from '../helpers/app.js';
import { sleep, waitFor } from '../helpers/queue-contract.js';
import { REDIS_URL, redisReachable } from '../helpers/redis.js';

const redisUp = await redisReachable();
if (!redisUp)
  console.warn(`[rapport] Redis is not reachable at ${REDIS_URL}: the Redis event bus tests are SKIPPED`);

type Received = Array<{ channel: string; event: any }>;
const collect = (into: Received) => (event: any, channel: string) => {
  into.push({ channel, event });
};

/** What every EventBus does, on one node. `settle` waits long enough for a delivery to happen. */
function busContract(make: () => EventBus, settle: () => Promise<void>) {
  const buses: EventBus[] = [];
  const open = () => {
    const bus = make();
    buses.push(bus);
    return bus;
  };
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((bus) => bus.close()));
  });

  it('delivers events to the subscribers of their channel only, as JSON', async () => {
    const bus = open();
    const a: Received = [];
    const b: Received = [];
    await bus.subscribe('interaction:1', collect(a)).ready;
    await bus.subscribe('interaction:2', collect(b)).ready;
    await bus.publish('interaction:1', {
      status: 'PROCESSING',
      progress: 0.5,
      at: new Date(0),
      skip: undefined,
    });
    await waitFor('delivery', () => a.length === 1);
    await settle();
    expect(a).toEqual([
      {
        channel: 'interaction:1',
        event: { status: 'PROCESSING', progress: 0.5, at: '1970-01-01T00:00:00.000Z' },
      },
    ]);
    expect(b).toEqual([]);
  });

  it('stops delivering after unsubscribe; other listeners of the channel keep theirs', async () => {
    const bus = open();
    const kept: Received = [];
    const dropped: Received = [];
    await bus.subscribe('user:7', collect(kept)).ready;
    const unsubscribe = bus.subscribe('user:7', collect(dropped));
    await unsubscribe.ready;
    await bus.publish('user:7', { n: 1 });
    await waitFor('first delivery', () => kept.length === 1 && dropped.length === 1);
    unsubscribe();
    unsubscribe(); // twice is harmless
    await bus.publish('user:7', { n: 2 });
    await waitFor('second delivery', () => kept.length === 2);
    await settle();
    expect(dropped.map((r) => r.event.n)).toEqual([1]);
    expect(kept.map((r) => r.event.n)).toEqual([1, 2]);
  });

  it('matches `*` patterns, with the concrete channel passed to the listener', async () => {
    const bus = open();
    const all: Received = [];
    await bus.subscribe('interaction:*', collect(all)).ready;
    await bus.publish('interaction:3', { n: 3 });
    await bus.publish('user:3', { n: -1 });
    await bus.publish('interaction:4:progress', { n: 4 });
    await waitFor('deliveries', () => all.length === 2);
    await settle();
    expect(all).toEqual([
      { channel: 'interaction:3', event: { n: 3 } },
      { channel: 'interaction:4:progress', event: { n: 4 } },
    ]);
  });

  it('keeps delivering to the others when a listener throws', async () => {
    const bus = open();
    const got: Received = [];
    await bus.subscribe('c', () => {
      throw new Error('listener bug');
    }).ready;
    await bus.subscribe('c', collect(got)).ready;
    await bus.publish('c', { ok: true });
    await waitFor('delivery', () => got.length === 1);
  });
}

describe('in-process event bus', () => {
  busContract(
    () => new InProcessEventBus(),
    async () => {},
  );

  it('is what createEventBus gives without REDIS_URL; it delivers synchronously within publish', async () => {
    const bus = createEventBus(testConfig());
    expect(bus.kind).toBe('memory');
    const got: Received = [];
    bus.subscribe('x', collect(got));
    await bus.publish('x', { a: 1 });
    expect(got).toHaveLength(1);
    await bus.close();
    await expect(bus.publish('x', {})).rejects.toThrow(/closed/);
  });
});

describe.skipIf(!redisUp)('Redis event bus', () => {
  const prefix = `rapport-test-${randomUUID().slice(0, 8)}:events:`;
  busContract(
    () => new RedisEventBus(REDIS_URL, { prefix }),
    () => sleep(100),
  );

  const nodes: EventBus[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((bus) => bus.close()));
  });

  it('carries events between two nodes, both ways, and is what createEventBus gives with REDIS_URL', async () => {
    const nodeA = createEventBus(testConfig({ REDIS_URL }), { prefix });
    const nodeB = createEventBus(testConfig({ REDIS_URL }), { prefix });
    nodes.push(nodeA, nodeB);
    expect(nodeA.kind).toBe('redis');
    const onA: Received = [];
    const onB: Received = [];
    await nodeA.subscribe('call:1', collect(onA)).ready;
    await nodeB.subscribe('call:*', collect(onB)).ready;

    await nodeA.publish('call:1', { from: 'A' });
    await nodeB.publish('call:1', { from: 'B' });
    await waitFor('deliveries', () => onA.length === 2 && onB.length === 2);
    // One publisher's events arrive in order; A sees its own events too.
    expect(onA.map((r) => r.event.from).sort()).toEqual(['A', 'B']);
    expect(onB.map((r) => r.event.from).sort()).toEqual(['A', 'B']);
    expect(onB.every((r) => r.channel === 'call:1')).toBe(true);
  });

  it('keeps one node’s order, and stops a node’s deliveries when it unsubscribes or closes', async () => {
    const nodeA = new RedisEventBus(REDIS_URL, { prefix });
    const nodeB = new RedisEventBus(REDIS_URL, { prefix });
    nodes.push(nodeA, nodeB);
    const onB: Received = [];
    const unsubscribe = nodeB.subscribe('seq', collect(onB));
    await unsubscribe.ready;
    for (let i = 0; i < 50; i++) await nodeA.publish('seq', { i });
    await waitFor('50 events', () => onB.length === 50);
    expect(onB.map((r) => r.event.i)).toEqual([...Array(50).keys()]);

    unsubscribe();
    await sleep(100);
    await nodeA.publish('seq', { i: 50 });
    await sleep(200);
    expect(onB).toHaveLength(50);

    // Subscribing again after an unsubscribe works (SUBSCRIBE after UNSUBSCRIBE on one connection).
    await nodeB.subscribe('seq', collect(onB)).ready;
    await nodeA.publish('seq', { i: 51 });
    await waitFor('the 51st', () => onB.length === 51);
    await nodeB.close();
    await nodeA.publish('seq', { i: 52 });
    await sleep(200);
    expect(onB).toHaveLength(51);
  });

  it('keeps channels of different prefixes apart', async () => {
    const ours = new RedisEventBus(REDIS_URL, { prefix });
    const theirs = new RedisEventBus(REDIS_URL, { prefix: `other-${prefix}` });
    nodes.push(ours, theirs);
    const got: Received = [];
    await ours.subscribe('x', collect(got)).ready;
    await ours.subscribe('x*', collect(got)).ready;
    await theirs.publish('x', { foreign: true });
    await ours.publish('x', { foreign: false });
    await waitFor('delivery', () => got.length >= 2);
    await sleep(200);
    expect(got.map((r) => r.event.foreign)).toEqual([false, false]);
  });
});
