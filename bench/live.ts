/**
 * Live-call benchmark: a real `rapport serve` (embedded PGlite, all engines as configured) in a
 * child process, and simulated calls streaming the fixture clip looped to LIVE_BENCH_SECONDS as a
 * camera and microphone would (1 JPEG frame/s, 16 kHz PCM in 200 ms chunks, real time), with
 * lin_manuel_miranda enrolled. Prints per level of concurrent calls:
 *
 * - frame with a known face → `participant_identified`: the first frame in which he can be
 *   recognised is found beforehand with the same engine, and the latency counted from its sending;
 * - end of an utterance (its last sample sent) → its final `transcription_update`;
 * - the longest wait between two updates of one utterance while it is spoken (partial updates);
 * - the server's event-loop delay p99 over the last 10 s of the level (`GET /api/health/`);
 * - the server's RSS.
 * Levels grow until the utterance latency p95 passes 3 s (or LIVE_BENCH_MAX_CALLS). One unmeasured
 * call runs first, so the figures are of warm engines.
 *
 *   npm run bench:live                        # levels 1, 2, … 6
 *   LIVE_BENCH_MAX_CALLS=8 LIVE_BENCH_SECONDS=60 npm run bench:live
 *   LIVE_BENCH_CALLS=1,4 npm run bench:live   # just these levels (a quick before/after check)
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jpegFrames, streamCall } from '../examples/live-client.js';
import { loadConfig } from '../src/infra/config/config.js';
import { decodeImage } from '../src/infra/media/image.js';
import { resolveMediaBinaries } from '../src/infra/media/index.js';
import { FaceApiEngine } from '../src/pipeline/engines/face/face-api.js';
import { cosineDistance } from '../src/pipeline/faces/vectors.js';
import { type CliProcess, freePort, REPO_ROOT, runCli, waitForHealth } from '../test/helpers/process.js';

const CLIP = path.resolve(REPO_ROOT, '../shared/fixtures/video/short_hamilton_clip.mp4');
const LIN = path.resolve(REPO_ROOT, '../shared/fixtures/faces/lin_manuel_miranda-ref.png');
const SECONDS = Number(process.env.LIVE_BENCH_SECONDS) || 30;
const MAX_CALLS = Number(process.env.LIVE_BENCH_MAX_CALLS) || 6;
const LEVELS = process.env.LIVE_BENCH_CALLS
  ? process.env.LIVE_BENCH_CALLS.split(',')
      .map(Number)
      .filter((n) => n > 0)
  : Array.from({ length: MAX_CALLS }, (_, i) => i + 1);
const UTTERANCE_LIMIT_MS = 3000;

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)}` : '—');

/**
 * Media time of the first frame (at 1 frame/s, as the calls send them) in which the engine the
 * server uses finds a face matching Lin's photo: identification latency is counted from there.
 */
async function firstFrameShowingLin(file: string): Promise<number | undefined> {
  const config = loadConfig({ ...process.env, DATA_DIR: os.tmpdir() });
  const engine = new FaceApiEngine({ workers: 1, minScore: config.faces.minScore });
  try {
    const decode = { maxPixels: config.faces.imageMaxPixels, maxSide: 640 };
    const [reference] = await engine.detect(await decodeImage(fs.readFileSync(LIN), decode));
    const [lin] = await engine.embed([reference!.crop]);
    for await (const { at, jpeg } of jpegFrames(file, 1)) {
      if (at >= 10) return undefined;
      const faces = await engine.detect(await decodeImage(jpeg, decode), {
        detector: config.faces.liveDetector,
      });
      const embeddings = await engine.embed(faces.map((f) => f.crop));
      if (embeddings.some((e) => cosineDistance(e, lin!) <= config.faces.matchThreshold)) return at;
    }
    return undefined;
  } finally {
    await engine.close();
  }
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-live-'));
  let server: CliProcess | undefined;
  try {
    // The clip looped (stream copy) to the call length.
    const { ffmpeg } = await resolveMediaBinaries();
    const call = path.join(work, 'call.mp4');
    const loops = Math.max(0, Math.ceil(SECONDS / 10) - 1);
    const made = spawnSync(ffmpeg.path, [
      '-v',
      'error',
      '-stream_loop',
      String(loops),
      '-i',
      CLIP,
      '-t',
      String(SECONDS),
      '-c',
      'copy',
      call,
    ]);
    if (made.status !== 0) throw new Error(`ffmpeg: ${made.stderr}`);

    const linAt = (await firstFrameShowingLin(call)) ?? 0;
    console.log(`Lin is first recognisable in the frame at ${linAt} s of the clip.`);

    const port = await freePort();
    server = runCli(['serve'], {
      DATA_DIR: path.join(work, 'data'),
      PORT: String(port),
      DATABASE_URL: '',
      REDIS_URL: '',
      STORAGE_URL: '',
      LIVE_MAX_CALLS_PER_USER: String(Math.max(...LEVELS)),
    });
    await waitForHealth(port, server, 120_000);
    const http = `http://127.0.0.1:${port}`;
    const register = await fetch(`${http}/api/auth/users/register/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        username: 'bench',
        email: 'bench@example.com',
        password: 'violet-harbour-42-lantern',
        password_confirm: 'violet-harbour-42-lantern',
      }),
    });
    const { user, token } = (await register.json()) as { user: { id: number }; token: string };
    const auth = { authorization: `Token ${token}` };
    const lin = (await (
      await fetch(`${http}/api/relationships/`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Lin-Manuel Miranda', relationship_type: 'FRIEND' }),
      })
    ).json()) as { id: number };
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(fs.readFileSync(LIN))], { type: 'image/png' }), 'lin.png');
    const enrolled = await fetch(`${http}/api/relationships/${lin.id}/faces/`, {
      method: 'POST',
      headers: auth,
      body: form,
    });
    if (enrolled.status !== 201) throw new Error(`enrolment: ${enrolled.status} ${await enrolled.text()}`);
    const health = (await (await fetch(`${http}/api/health/`)).json()) as {
      engines: Record<string, { name: string; available: boolean }>;
    };
    const engines = Object.entries(health.engines)
      .map(([kind, e]) => `${kind}=${e.available ? e.name : 'off'}`)
      .join(' ');
    console.log(
      `live-call bench: ${SECONDS} s calls, 1 frame/s + real-time audio; ${os.cpus().length} cores; ${engines}\n`,
    );

    // One unmeasured call first: the face and speech worker threads start and load their models.
    await streamCall({ url: `ws://127.0.0.1:${port}`, userId: user.id, token, file: call, fps: 1, speed: 1 });
    const rows: string[][] = [];
    for (const calls of LEVELS) {
      const identify: number[] = [];
      const utterance: number[] = [];
      const partialGaps: number[] = [];
      let partials = 0;
      let identifiedCalls = 0;
      await Promise.all(
        Array.from({ length: calls }, async () => {
          const arrivals: { type: string; at: number; message: Record<string, unknown> }[] = [];
          const result = await streamCall({
            url: `ws://127.0.0.1:${port}`,
            userId: user.id,
            token,
            file: call,
            fps: 1,
            chunkMs: 200,
            speed: 1,
            onMessage: (message) => arrivals.push({ type: message.type, at: performance.now(), message }),
          });
          const found = arrivals.find((a) => a.type === 'participant_identified');
          if (found) {
            identifiedCalls++;
            identify.push(found.at - (result.startedAt + linAt * 1000));
          }
          const updates = arrivals.filter((x) => x.type === 'transcription_update');
          for (const a of updates.filter((x) => x.message.is_final))
            utterance.push(a.at - (result.startedAt + Number(a.message.end) * 1000));
          // After a partial, the utterance is still being spoken: the next update (partial or final) should follow soon.
          updates.forEach((a, i) => {
            if (a.message.is_final || !updates[i + 1]) return;
            partials++;
            partialGaps.push(updates[i + 1]!.at - a.at);
          });
        }),
      );
      const after = (await (await fetch(`${http}/api/health/`)).json()) as {
        event_loop_delay_ms: { p99: number };
      };
      const row = [
        String(calls),
        `${identifiedCalls}/${calls}`,
        `${ms(percentile(identify, 50))} / ${ms(percentile(identify, 95))}`,
        String(utterance.length),
        `${ms(percentile(utterance, 50))} / ${ms(percentile(utterance, 95))} / ${ms(Math.max(...utterance))}`,
        `${partials} / ${ms(partialGaps.length ? Math.max(...partialGaps) : Number.NaN)}`,
        String(after.event_loop_delay_ms.p99),
        String(rssMb(server.child.pid!)),
        os.loadavg()[0]!.toFixed(1),
      ];
      rows.push(row);
      console.log(row.join(' | '));
      if (percentile(utterance, 95) > UTTERANCE_LIMIT_MS) break;
    }
    console.log(
      '\n| calls | identified | frame showing him → identified p50 / p95 ms | utterances | utterance end → final update p50 / p95 / max ms | partials / longest wait after one ms | event-loop delay p99 ms | server RSS MB | machine load (1 min) |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    const sustained = Math.max(
      0,
      ...rows.filter((r) => Number(r[4]!.split(' / ')[1]) <= UTTERANCE_LIMIT_MS).map((r) => Number(r[0])),
    );
    console.log(
      `\nsustained with utterance latency p95 ≤ ${UTTERANCE_LIMIT_MS} ms: ${sustained} concurrent call(s)`,
    );
  } finally {
    server?.child.kill('SIGTERM');
    await server?.exited;
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
