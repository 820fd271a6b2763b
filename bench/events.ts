/**
 * Fan-out benchmark of `GET /api/events/`, the stream the web app follows processing with: the
 * path a worker's progress event takes to browsers. `rapport serve` runs in a child process with
 * `REDIS_URL` (as in a deployment with workers); this process publishes on Redis, as a worker
 * does, and holds BENCH_CLIENTS open streams of one user, measuring publish → received latency.
 *
 *   npm run bench:events        (needs Redis: REDIS_URL, default redis://127.0.0.1:6379)
 *
 * Environment (all optional): BENCH_CLIENTS (200), BENCH_EVENTS (300), BENCH_RATE events/s (50).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createParser } from 'eventsource-parser';
import { RedisEventBus } from '../src/infra/events/redis.js';
import { userChannel } from '../src/pipeline/process-media.js';
import { freePort } from '../test/helpers/process.js';
import { machineCpu } from './machine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const envInt = (name: string, fallback: number) =>
  Math.max(1, Math.floor(Number(process.env[name] || fallback)));
const CLIENTS = envInt('BENCH_CLIENTS', 200);
const EVENTS = envInt('BENCH_EVENTS', 300);
const RATE = envInt('BENCH_RATE', 50);
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const PREFIX = `rapport-bench-${process.pid}`;
const PASSWORD = 'Bench-events-Pa55word!';

const now = () => performance.timeOrigin + performance.now();

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function startServer(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/cli.js'), 'serve'], {
    cwd: dataDir,
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL,
      REDIS_PREFIX: PREFIX,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    if (
      await fetch(`${url}/api/health/`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, url };
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error('server did not start');
}

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/cli.js'))) throw new Error('run `npm run build` first');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-events-'));
  const { child, url } = await startServer(dataDir);
  const bus = new RedisEventBus(REDIS_URL, { prefix: `${PREFIX}:events:` });
  const controller = new AbortController();
  try {
    const reg = await fetch(`${url}/api/auth/users/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'bench',
        email: 'b@example.com',
        password: PASSWORD,
        password_confirm: PASSWORD,
      }),
    });
    const { token, user } = (await reg.json()) as { token: string; user: { id: number } };

    const latencies: number[] = [];
    let ready = 0;
    let allReady: () => void = () => {};
    const readyPromise = new Promise<void>((resolve) => {
      allReady = resolve;
    });
    const rssBefore = rssMb(child.pid!);
    for (let i = 0; i < CLIENTS; i++) {
      void (async () => {
        const res = await fetch(`${url}/api/events/`, {
          headers: { authorization: `Token ${token}` },
          signal: controller.signal,
        });
        const parser = createParser({
          onEvent(message) {
            if (message.event === 'ready') {
              if (++ready === CLIENTS) allReady();
              return;
            }
            const event = JSON.parse(message.data) as { sent_at: number };
            latencies.push(now() - event.sent_at);
          },
        });
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        for (;;) {
          const { done, value } = await reader.read().catch(() => ({ done: true, value: '' }));
          if (done) return;
          parser.feed(value);
        }
      })();
    }
    const connectStart = now();
    await readyPromise;
    const connectMs = now() - connectStart;
    const rssConnected = rssMb(child.pid!);

    const cpuBefore = machineCpu();
    const start = now();
    for (let i = 0; i < EVENTS; i++) {
      await bus.publish(userChannel(user.id), {
        type: 'interaction.processing',
        interaction_id: 1,
        status: 'PROCESSING',
        progress: { stage: 'audio', percent: (100 * i) / EVENTS },
        sent_at: now(),
      });
      const due = start + ((i + 1) * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const expected = CLIENTS * EVENTS;
    const deadline = now() + 10_000;
    while (latencies.length < expected && now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const cpuAfter = machineCpu();
    const sorted = [...latencies].sort((a, b) => a - b);
    const busy =
      cpuBefore && cpuAfter
        ? Math.round((100 * (cpuAfter.busy - cpuBefore.busy)) / (cpuAfter.total - cpuBefore.total))
        : NaN;

    console.log(
      `\nGET /api/events/ fan-out through Redis (${os.cpus().length} CPUs, machine ${busy}% busy during the run)`,
    );
    console.log(
      '| clients | events | rate/s | delivered | p50 ms | p95 ms | p99 ms | max ms | connect all ms | server RSS idle → connected |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    console.log(
      `| ${CLIENTS} | ${EVENTS} | ${RATE} | ${latencies.length}/${expected} | ${percentile(sorted, 50).toFixed(1)} | ${percentile(sorted, 95).toFixed(1)} | ${percentile(sorted, 99).toFixed(1)} | ${(sorted.at(-1) ?? NaN).toFixed(1)} | ${Math.round(connectMs)} | ${rssBefore} → ${rssConnected} MB |`,
    );
  } finally {
    controller.abort();
    await bus.close();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
