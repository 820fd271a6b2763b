/**
 * A small live-call client: streams a video file to Rapport as a camera and microphone would —
 * JPEG frames at a few per second and 16 kHz PCM audio in 200 ms chunks, both at real-time pace —
 * and prints what the server answers.
 *
 *   npx tsx examples/live-client.ts --user 1 --token <key> path/to/call.mp4
 *   npx tsx examples/live-client.ts --url ws://rapport.local:8000 --user 1 --token <key> --fps 2 call.mp4
 *
 * It needs only `ws` and ffmpeg (the one Rapport itself uses: FFMPEG_PATH, PATH or the npm build).
 */
import { spawn } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { readPcm16, resolveMediaBinaries } from '../src/infra/media/index.js';

export type StreamOptions = {
  url: string;
  userId: number;
  token: string;
  file: string;
  /** Video frames per second sent (default 2). */
  fps?: number;
  /** Audio chunk length in ms (default 200). */
  chunkMs?: number;
  /** Playback speed: 1 is real time (default); 0 sends as fast as possible. */
  speed?: number;
  title?: string;
  /** Called with every server message as it arrives. */
  onMessage?: (message: { type: string; [key: string]: unknown }) => void;
};

type Item = { at: number; send: (socket: WebSocket) => void };

/** JPEG frames of the file at `fps`, each with its media time, split from ffmpeg's MJPEG stream. */
export async function* jpegFrames(file: string, fps: number): AsyncGenerator<{ at: number; jpeg: Buffer }> {
  const { ffmpeg } = await resolveMediaBinaries();
  const child = spawn(
    ffmpeg.path,
    [
      '-v',
      'error',
      '-i',
      file,
      '-an',
      '-vf',
      `fps=${fps},scale='min(640,iw)':-2`,
      '-q:v',
      '5',
      '-f',
      'image2pipe',
      '-c:v',
      'mjpeg',
      'pipe:1',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let buffer = Buffer.alloc(0);
  let index = 0;
  try {
    for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
      buffer = Buffer.concat([buffer, chunk]);
      // Each JPEG runs from SOI (FFD8) to EOI (FFD9); ffmpeg's MJPEG carries no embedded thumbnails.
      for (;;) {
        const end = buffer.indexOf(Buffer.from([0xff, 0xd9]), 2);
        if (end < 0) break;
        yield { at: index++ / fps, jpeg: buffer.subarray(0, end + 2) };
        buffer = buffer.subarray(end + 2);
      }
    }
  } finally {
    child.kill();
  }
}

/** Streams one file as a call; resolves with `call_ended` and every message received. */
export async function streamCall(options: StreamOptions) {
  const fps = options.fps ?? 2;
  const chunkSamples = Math.round(((options.chunkMs ?? 200) / 1000) * 16_000);
  const speed = options.speed ?? 1;
  const socket = new WebSocket(`${options.url}/ws/call/${options.userId}/?token=${options.token}`);
  const received: { type: string; [key: string]: unknown }[] = [];
  const waiters = new Map<string, (message: { type: string; [key: string]: unknown }) => void>();
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString());
    received.push(message);
    options.onMessage?.(message);
    waiters.get(message.type)?.(message);
  });
  const next = (type: string) =>
    new Promise<{ type: string; [key: string]: unknown }>((resolve, reject) => {
      waiters.set(type, resolve);
      socket.once('close', (code, reason) =>
        reject(new Error(`socket closed (${code} ${reason}) before ${type}`)),
      );
    });

  await next('connection_established');
  socket.send(JSON.stringify({ type: 'call_start', title: options.title ?? `Live: ${options.file}` }));
  const { interaction_id: interactionId } = await next('call_started');

  // Frames and audio chunks merged in media-time order, each sent when its time comes.
  const items: Item[] = [];
  for await (const { at, jpeg } of jpegFrames(options.file, fps)) {
    const data = jpeg.toString('base64');
    items.push({ at, send: (s) => s.send(JSON.stringify({ type: 'video_chunk', data, timestamp: at })) });
  }
  let pending = new Int16Array(0);
  let sent = 0;
  const pushAudio = (samples: Int16Array) => {
    const at = sent / 16_000;
    sent += samples.length;
    const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
    items.push({ at, send: (s) => s.send(bytes, { binary: true }) });
  };
  for await (const samples of readPcm16(options.file)) {
    const merged = new Int16Array(pending.length + samples.length);
    merged.set(pending);
    merged.set(samples, pending.length);
    let offset = 0;
    for (; offset + chunkSamples <= merged.length; offset += chunkSamples)
      pushAudio(merged.slice(offset, offset + chunkSamples));
    pending = merged.slice(offset);
  }
  if (pending.length > 0) pushAudio(pending);
  items.sort((a, b) => a.at - b.at);

  const started = performance.now();
  for (const item of items) {
    const wait = speed > 0 ? (item.at * 1000) / speed - (performance.now() - started) : 0;
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    item.send(socket);
  }
  // What the server said while the call was still running (before call_end).
  const duringCall = received.length;
  socket.send(JSON.stringify({ type: 'call_end' }));
  const ended = await next('call_ended');
  socket.close();
  // `startedAt` (performance.now() when the first item went out): media time t was sent at startedAt + t / speed.
  return { interactionId: interactionId as number, ended, received, duringCall, startedAt: started };
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      url: { type: 'string', default: 'ws://127.0.0.1:8000' },
      user: { type: 'string' },
      token: { type: 'string' },
      fps: { type: 'string', default: '2' },
      speed: { type: 'string', default: '1' },
    },
  });
  const file = positionals[0];
  if (!file || !values.user || !values.token) {
    console.error(
      'usage: live-client.ts --user <id> --token <key> [--url ws://host:port] [--fps 2] [--speed 1] <video>',
    );
    process.exit(2);
  }
  const result = await streamCall({
    url: values.url!,
    userId: Number(values.user),
    token: values.token,
    file,
    fps: Number(values.fps),
    speed: Number(values.speed),
    onMessage: (m) => {
      const { type, ...rest } = m;
      const text = JSON.stringify(rest);
      console.log(`${type.padEnd(24)} ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`);
    },
  });
  console.log(`call ${result.interactionId} ended: ${result.received.length} messages`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
