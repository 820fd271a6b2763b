import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userChannel } from '../../src/pipeline/process-media.js';
import { type Client, createTestContext, type TestContext } from '../helpers/app.js';

type User = Client & { userId: number; username: string };

let ctx: TestContext;
let base: string;
let alice: User;
let bob: User;

beforeAll(async () => {
  ctx = await createTestContext();
  // Streaming needs a real socket (inject waits for the end of the response).
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const address = ctx.app.server.address() as { port: number };
  base = `http://127.0.0.1:${address.port}`;
  alice = await ctx.signUp();
  bob = await ctx.signUp();
});
afterAll(() => ctx?.close());

/** Opens the stream and reads `data:` events until `count` have arrived (after `ready`). */
async function openStream(token: string) {
  const controller = new AbortController();
  const res = await fetch(`${base}/api/events/`, {
    headers: { authorization: `Token ${token}` },
    signal: controller.signal,
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  async function nextBlock(): Promise<string> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return block;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += value;
    }
  }
  return {
    res,
    nextBlock,
    async ready() {
      while (!(await nextBlock()).includes('event: ready'));
    },
    async nextEvent(): Promise<any> {
      for (;;) {
        const block = await nextBlock();
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (data && !block.includes('event:')) return JSON.parse(data.slice(6));
      }
    },
    close: () => controller.abort(),
  };
}

describe('GET /api/events/', () => {
  it('needs a token', async () => {
    const res = await fetch(`${base}/api/events/`);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  it("streams the user's own events as Server-Sent Events, and no one else's", async () => {
    const stream = await openStream(alice.token!);
    expect(stream.res.status).toBe(200);
    expect(stream.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await stream.ready();
    await ctx.runtime.events.publish(userChannel(bob.userId), {
      type: 'interaction.processing',
      interaction_id: 1,
    });
    const mine = {
      type: 'interaction.processing',
      interaction_id: 7,
      status: 'PROCESSING',
      progress: { stage: 'audio', percent: 40 },
    };
    await ctx.runtime.events.publish(userChannel(alice.userId), mine);
    await ctx.runtime.events.publish(userChannel(alice.userId), { type: 'note.created', note: { id: 3 } });
    expect(await stream.nextEvent()).toEqual(mine);
    expect(await stream.nextEvent()).toEqual({ type: 'note.created', note: { id: 3 } });
    stream.close();
  });

  it('a revoked token cannot open a stream', async () => {
    const carol = await ctx.signUp();
    await carol.post('/api/auth/users/logout/');
    const res = await fetch(`${base}/api/events/`, { headers: { authorization: `Token ${carol.token}` } });
    expect(res.status).toBe(401);
  });
});
