/**
 * `npm run bench:faces`: what the faces work costs and how well it matches, on this machine.
 *
 * 1. engine   detect + embed per 640 px frame of the fixture clip (p50/p95, one worker), and
 *             frames/s with the worker pool (FACE_WORKERS, default 2 here).
 * 2. accuracy verification on the fixture photos at FACE_MATCH_THRESHOLD: true-match and
 *             false-match rates, the distance distributions, and one centroid per person vs
 *             nearest sample (leave-one-out).
 * 3. stage    the faces stage (tracking, frame skipping, identification in PGlite) on the clip
 *             looped to BENCH_FACES_CALL_SECONDS (default 300) at 1 fps, extrapolated to 1 hour.
 * 4. search   identification latency (p50/p95) and recall@1 among N synthetic signatures of one
 *             user (BENCH_FACES_SIGNATURES, default "10000,100000"; add 1000000 if you have the
 *             time) in PGlite and, when DATABASE_URL is set, on that server.
 *
 * BENCH_FACES_PARTS=engine,accuracy,stage,search picks parts. Figures are noisy on a shared machine:
 * the CPU used by other processes during each part is printed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { createUsersService } from '../src/app.js';
import { loadConfig } from '../src/infra/config/config.js';
import { type DatabaseHandle, openDatabase } from '../src/infra/db/database.js';
import { faceSignatures, relationships } from '../src/infra/db/schema.js';
import { decodeImage } from '../src/infra/media/image.js';
import { extractFrames, probeMedia, resolveMediaBinaries } from '../src/infra/media/index.js';
import { LocalStorage } from '../src/infra/storage/index.js';
import { InteractionsRepository } from '../src/modules/interactions/repository.js';
import { RelationshipsRepository } from '../src/modules/relationships/repository.js';
import { FaceEnrolmentService } from '../src/modules/signatures/face-enrolment.js';
import { saveFaceThumbnail } from '../src/modules/signatures/face-thumbnails.js';
import { EXACT_SEARCH_MAX_ROWS, SignaturesRepository } from '../src/modules/signatures/repository.js';
import { FaceApiEngine } from '../src/pipeline/engines/face/face-api.js';
import type { FaceDetector, RgbImage } from '../src/pipeline/engines/face/face-engine.js';
import { FaceIdentifier } from '../src/pipeline/faces/identifier.js';
import { cosineDistance, meanDirection } from '../src/pipeline/faces/vectors.js';
import { runPipeline, type StageContext } from '../src/pipeline/pipeline.js';
import { createFacesStage } from '../src/pipeline/stages/faces.js';
import { probeStage } from '../src/pipeline/stages/probe.js';
import { machineCpu } from './machine.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIXTURES = path.resolve(ROOT, '../shared/fixtures');
const FACES = path.join(FIXTURES, 'faces');
const CLIP = path.join(FIXTURES, 'video/short_hamilton_clip.mp4');

const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', DATA_DIR: os.tmpdir() });
const parts = new Set((process.env.BENCH_FACES_PARTS ?? 'engine,accuracy,stage,search').split(','));
const workers = Number(process.env.FACE_WORKERS ?? 2);
const DECODE = { maxPixels: config.faces.imageMaxPixels, maxSide: 1280 };

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
const f1 = (x: number) => x.toFixed(1);
const f3 = (x: number) => x.toFixed(3);

/** Share of the machine's CPU other processes used while `run` ran (this one excluded). */
async function measured<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number; othersCpu: string }> {
  const before = machineCpu();
  const ownBefore = process.cpuUsage();
  const t0 = performance.now();
  const value = await run();
  const seconds = (performance.now() - t0) / 1000;
  const after = machineCpu();
  const own = process.cpuUsage(ownBefore);
  let othersCpu = 'n/a';
  if (before && after) {
    const ticksPerSecond = 100;
    const cores = os.availableParallelism();
    const busySeconds = (after.busy - before.busy) / ticksPerSecond;
    const ownSeconds = (own.user + own.system) / 1e6;
    othersCpu = `${Math.max(0, ((busySeconds - ownSeconds) / (seconds * cores)) * 100).toFixed(0)} %`;
  }
  return { value, seconds, othersCpu };
}

function table(header: string[], rows: (string | number)[][]) {
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map((_h, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  console.log();
}

// ---------------------------------------------------------------------------------------------

async function clipFrames(rate: number) {
  const frames: RgbImage[] = [];
  for await (const frame of extractFrames(CLIP, { rate, maxWidth: 640, sceneThreshold: 0 }))
    frames.push({ width: frame.width, height: frame.height, rgb: frame.rgb });
  return frames;
}

async function benchEngine() {
  console.log(`## Engine: detect + embed per frame (640 px frames of the clip)\n`);
  const frames = await clipFrames(5);
  const single = new FaceApiEngine({
    workers: 1,
    minScore: config.faces.minScore,
    detector: config.faces.detector,
  });
  await single.detect(frames[0]!); // model load, not timed
  const perFrame: number[] = [];
  const detectOnly: number[] = [];
  const embedPerFace: number[] = [];
  let faces = 0;
  const one = await measured(async () => {
    for (const frame of frames) {
      const t0 = performance.now();
      const found = await single.detect(frame);
      const t1 = performance.now();
      await single.embed(found.map((f) => f.crop));
      const t2 = performance.now();
      perFrame.push(t2 - t0);
      detectOnly.push(t1 - t0);
      if (found.length > 0) embedPerFace.push((t2 - t1) / found.length);
      faces += found.length;
    }
  });
  await single.close();
  const pool = new FaceApiEngine({
    workers,
    minScore: config.faces.minScore,
    detector: config.faces.detector,
  });
  await Promise.all(Array.from({ length: workers }, () => pool.detect(frames[0]!)));
  const pooled = await measured(() =>
    Promise.all(frames.map(async (frame) => pool.embed((await pool.detect(frame)).map((f) => f.crop)))),
  );
  await pool.close();
  table(
    ['measure', 'value'],
    [
      ['frames (clip at 5 fps, 640×360)', frames.length],
      ['faces found', faces],
      ['detect + embed per frame, p50 ms (1 worker)', f1(percentile(perFrame, 50))],
      ['detect + embed per frame, p95 ms (1 worker)', f1(percentile(perFrame, 95))],
      ['detect only (SSD + landmarks + crop), p50 ms', f1(percentile(detectOnly, 50))],
      ['embed per face, p50 ms', f1(percentile(embedPerFace, 50))],
      ['frames/s, 1 worker', f1(frames.length / one.seconds)],
      [`frames/s, pool of ${workers} workers`, f1(frames.length / pooled.seconds)],
      ['CPU used by other processes (1 worker / pool)', `${one.othersCpu} / ${pooled.othersCpu}`],
    ],
  );
}

// ---------------------------------------------------------------------------------------------

async function benchAccuracy() {
  const threshold = config.faces.matchThreshold;
  console.log(`## Verification on the fixture photos (cosine distance, threshold ${threshold})\n`);
  const engine = new FaceApiEngine({ workers, minScore: config.faces.minScore });
  const files = fs
    .readdirSync(FACES)
    .filter((f) => /\.(jpe?g|png)$/i.test(f) && !f.startsWith('group-'))
    .sort();
  // Each photo through both detectors: enrolment uses FACE_DETECTOR, live calls LIVE_FACE_DETECTOR,
  // and a live face is matched against enrolled ones.
  const embedWith = async (image: RgbImage, detector: FaceDetector) => {
    const [face] = await engine.detect(image, { detector });
    return face ? (await engine.embed([face.crop]))[0]! : undefined;
  };
  const photos = await Promise.all(
    files.map(async (file) => {
      const image = await decodeImage(fs.readFileSync(path.join(FACES, file)), DECODE);
      return {
        file,
        person: file.slice(0, file.indexOf('-')),
        embedding: (await embedWith(image, config.faces.detector))!,
        live: await embedWith(image, config.faces.liveDetector),
      };
    }),
  );
  await engine.close();
  const same: number[] = [];
  const different: number[] = [];
  const liveSame: number[] = [];
  const liveDifferent: number[] = [];
  const liveMissed = photos.filter((p) => !p.live).map((p) => p.file);
  for (let i = 0; i < photos.length; i++)
    for (let j = 0; j < photos.length; j++) {
      if (i === j) continue;
      const samePerson = photos[i]!.person === photos[j]!.person;
      if (j > i) {
        const d = cosineDistance(photos[i]!.embedding, photos[j]!.embedding);
        (samePerson ? same : different).push(d);
      }
      const live = photos[j]!.live;
      if (live) (samePerson ? liveSame : liveDifferent).push(cosineDistance(photos[i]!.embedding, live));
    }
  const rate = (values: number[], match: boolean) =>
    `${((values.filter((d) => d <= threshold === match).length / values.length) * 100).toFixed(1)} %`;
  const dist = (values: number[]) =>
    [0, 5, 50, 95, 100].map((p) => f3(p === 100 ? Math.max(...values) : percentile(values, p))).join(' / ');
  table(
    ['pairs', 'count', 'matched at threshold', 'distance min / p5 / p50 / p95 / max'],
    [
      [
        `same person (${config.faces.detector})`,
        same.length,
        `${rate(same, true)} (true-match rate)`,
        dist(same),
      ],
      [
        `different people (${config.faces.detector})`,
        different.length,
        `${rate(different, true)} (false-match rate)`,
        dist(different),
      ],
      [
        `same person, enrolled (${config.faces.detector}) vs live (${config.faces.liveDetector})`,
        liveSame.length,
        `${rate(liveSame, true)} (true-match rate)`,
        dist(liveSame),
      ],
      [
        `different people, enrolled vs live`,
        liveDifferent.length,
        `${rate(liveDifferent, true)} (false-match rate)`,
        dist(liveDifferent),
      ],
    ],
  );
  if (liveMissed.length > 0)
    console.log(
      `The live detector (${config.faces.liveDetector}) found no face in: ${liveMissed.join(', ')}\n`,
    );
  console.log(
    `Every threshold between ${f3(Math.max(...same))} and ${f3(Math.min(...different))} separates the pairs.\n`,
  );

  // One centroid per person, or every sample? Leave each photo out, match it against the rest.
  const rows: (string | number)[][] = [];
  for (const mode of ['centroid', 'samples'] as const) {
    let correct = 0;
    let queries = 0;
    const margins: number[] = [];
    for (const query of photos) {
      const rest = photos.filter((p) => p !== query);
      if (!rest.some((p) => p.person === query.person)) continue;
      queries++;
      let gallery: { person: string; embedding: Float32Array }[] = rest;
      if (mode === 'centroid') {
        const byPerson = new Map<string, { embedding: Float32Array; n: number }>();
        for (const p of rest) {
          const c = byPerson.get(p.person);
          byPerson.set(
            p.person,
            c
              ? { embedding: meanDirection(c.embedding, c.n, p.embedding, 1), n: c.n + 1 }
              : { embedding: p.embedding, n: 1 },
          );
        }
        gallery = [...byPerson].map(([person, c]) => ({ person, embedding: c.embedding }));
      }
      const ranked = gallery
        .map((g) => ({ person: g.person, d: cosineDistance(g.embedding, query.embedding) }))
        .sort((a, b) => a.d - b.d);
      const own = ranked.find((r) => r.person === query.person)!;
      const wrong = ranked.find((r) => r.person !== query.person)!;
      if (ranked[0]!.person === query.person && own.d <= threshold) correct++;
      margins.push(wrong.d - own.d);
    }
    rows.push([
      mode === 'centroid' ? 'one centroid per person' : 'nearest sample',
      queries,
      `${correct}/${queries}`,
      f3(Math.min(...margins)),
      f3(percentile(margins, 50)),
    ]);
  }
  console.log(
    'Leave-one-out identification among the other photos (margin = nearest wrong − own distance):\n',
  );
  table(['gallery', 'queries', 'right and within threshold', 'min margin', 'median margin'], rows);
}

// ---------------------------------------------------------------------------------------------

async function benchStage() {
  const seconds = Number(process.env.BENCH_FACES_CALL_SECONDS ?? 300);
  console.log(`## Faces stage on a ${seconds} s call (the clip looped) at 1 fps, PGlite\n`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-faces-'));
  try {
    const { ffmpeg } = await resolveMediaBinaries(config.ffmpeg);
    const file = path.join(dir, 'call.mp4');
    execFileSync(ffmpeg.path, [
      ...['-hide_banner', '-nostdin', '-y', '-loglevel', 'error', '-stream_loop', '-1', '-i', CLIP],
      ...['-t', String(seconds), '-c', 'copy', file],
    ]);
    const database = await openDatabase({ voiceEmbeddingDim: config.voiceEmbeddingDim });
    const engine = new FaceApiEngine({
      workers,
      minScore: config.faces.minScore,
      detector: config.faces.detector,
    });
    try {
      await database.migrate();
      const user = await createUsersService({ config, database }).createUser({
        username: 'bench',
        email: 'bench@example.com',
        password: 'Bench-faces-Pa55word!',
      });
      const storage = new LocalStorage(path.join(dir, 'media'));
      const signatures = new SignaturesRepository(database.db);
      const people = new RelationshipsRepository(database.db);
      const lin = await people.create(user.id, { name: 'Lin', relationshipType: 'FRIEND' });
      await new FaceEnrolmentService(signatures, people, engine, storage, config.faces).enrolFace(
        user.id,
        lin,
        fs.readFileSync(path.join(FACES, 'lin_manuel_miranda-ref.png')),
      );
      const interactions = new InteractionsRepository(database.db);
      const id = await interactions.create(user.id, { interactionType: 'VIDEO_CALL', title: 'bench' }, []);
      let stats: Record<string, number> = {};
      const log = pino(
        { level: 'info' },
        {
          write(line: string) {
            const rec = JSON.parse(line);
            if (rec.msg === 'faces') stats = rec;
          },
        },
      );
      const stage = createFacesStage({
        engine,
        identifier: new FaceIdentifier(
          signatures,
          (u, s, crop) => saveFaceThumbnail(storage, u, s, crop),
          config.faces.matchThreshold,
        ),
        interactions,
        matchThreshold: config.faces.matchThreshold,
        parallelism: workers,
        log,
      });
      const ctx: StageContext = {
        interactionId: id,
        userId: user.id,
        mediaFile: file,
        workDir: dir,
        config,
        log,
        signal: new AbortController().signal,
        store: { saveMediaDuration: async () => {} },
        frames: () => extractFrames(file, { ...config.frames, rate: 1, ffmpeg: config.ffmpeg }),
      };
      await engine.detect({ width: 2, height: 2, rgb: new Uint8Array(12) }); // load the models
      const run = await measured(() => runPipeline([probeStage, stage], ctx, () => {}));
      const media = await probeMedia(file, { ffmpeg: config.ffmpeg });
      const unknown = await signatures.list(user.id, 'face', { unassigned: true }, [], {
        page: 1,
        pageSize: 1,
        offset: 0,
      });
      table(
        ['measure', 'value'],
        [
          ['recording', `${f1(media.durationSeconds)} s`],
          [
            'frames sampled / detected (changed) / faces / embeddings / tracks',
            `${stats.frames} / ${stats.detected} / ${stats.faces} / ${stats.embedded} / ${stats.tracks}`,
          ],
          ['people found (Lin + unknown)', `${stats.people} (unknown signatures: ${unknown.count})`],
          ['stage wall time', `${f1(run.seconds)} s`],
          ['real-time factor', f3(run.seconds / media.durationSeconds)],
          ['1 hour at 1 fps, extrapolated', `${f1((run.seconds / media.durationSeconds) * 60)} min`],
          ['CPU used by other processes', run.othersCpu],
        ],
      );
    } finally {
      await engine.close();
      await database.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

/** Synthetic face-like embeddings: unit vectors in a cone (different people at ~0.2 cosine distance). */
function syntheticSignatures(count: number, seed = 7) {
  // mulberry32: exact 32-bit integer arithmetic (a float LCG loses precision and repeats itself).
  let state = seed >>> 0;
  const uniform = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4_294_967_297;
  };
  const gaussian = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const center = Array.from({ length: 128 }, (_, i) => (i === 0 ? 1 : 0));
  const unit = (v: number[]) => {
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  };
  const make = (base: number[], sigma: number) => unit(base.map((x) => x + sigma * gaussian()));
  const rows = Array.from({ length: count }, () => make(center, 0.044));
  return { rows, near: (base: number[]) => make(base, 0.015) };
}

async function benchSearch(database: DatabaseHandle, label: string, sizes: number[]) {
  await database.migrate();
  const queries = Number(process.env.BENCH_FACES_QUERIES ?? 200);
  for (const size of sizes) {
    const user = await createUsersService({ config, database }).createUser({
      username: `bench_${size}_${Date.now()}`,
      email: 'bench@example.com',
      password: 'Bench-faces-Pa55word!',
    });
    try {
      const { rows, near } = syntheticSignatures(size);
      // Bulk load without the index, then build it (as a restore would).
      await database.db.execute(sql`drop index if exists face_signatures_embedding_idx`);
      const load = await measured(async () => {
        for (let i = 0; i < rows.length; i += 1000) {
          await database.db
            .insert(faceSignatures)
            .values(rows.slice(i, i + 1000).map((embedding) => ({ userId: user.id, embedding })));
        }
      });
      const build = await measured(() =>
        database.db.execute(
          sql`create index face_signatures_embedding_idx on face_signatures using hnsw (embedding vector_cosine_ops)`,
        ),
      );
      await database.db.execute(sql`analyze face_signatures`);
      const ids = await database.db
        .select({ id: faceSignatures.id })
        .from(faceSignatures)
        .where(sql`${faceSignatures.userId} = ${user.id}`)
        .orderBy(faceSignatures.id);
      const repo = new SignaturesRepository(database.db);
      const { viaIndex } = await repo.nearestQuery(user.id, 'face', rows[0]!, 1);
      const latencies: number[] = [];
      let hits = 0;
      const search = await measured(async () => {
        for (let q = 0; q < queries; q++) {
          const target = Math.floor((q * 7919) % rows.length);
          const query = near(rows[target]!);
          const t0 = performance.now();
          const [found] = await repo.nearest(user.id, 'face', query, 1);
          latencies.push(performance.now() - t0);
          // recall@1 against the exact nearest (brute force here).
          let best = -1;
          let bestDistance = Number.POSITIVE_INFINITY;
          for (let i = 0; i < rows.length; i++) {
            const d = cosineDistance(rows[i]!, query);
            if (d < bestDistance) [best, bestDistance] = [i, d];
          }
          if (found?.id === ids[best]?.id) hits++;
        }
      });
      console.log(
        `| ${label} | ${size.toLocaleString('en')} | ${viaIndex ? 'HNSW m=16 ef_construction=64, ef_search=40, iterative scan' : 'exact (user b-tree)'} | ${f1(load.seconds)} + ${f1(build.seconds)} | ${f1(percentile(latencies, 50))} | ${f1(percentile(latencies, 95))} | ${f3(hits / queries)} | ${search.othersCpu} |`,
      );
    } finally {
      await database.db.execute(sql`delete from ${relationships} where user_id = ${user.id}`);
      await database.db.execute(sql`delete from users where id = ${user.id}`);
    }
  }
}

async function main() {
  console.log(
    `# Faces benchmark — ${new Date().toISOString()}, ${os.cpus()[0]?.model ?? '?'} × ${os.availableParallelism()}, Node ${process.version}\n`,
  );
  if (parts.has('engine')) await benchEngine();
  if (parts.has('accuracy')) await benchAccuracy();
  if (parts.has('stage')) await benchStage();
  if (parts.has('search')) {
    const sizes = (process.env.BENCH_FACES_SIGNATURES ?? '10000,100000').split(',').map(Number);
    console.log(
      `## Identification among N signatures of one user (nearest of 1, ${process.env.BENCH_FACES_QUERIES ?? 200} queries)\n`,
    );
    console.log(
      `Users with more than ${EXACT_SEARCH_MAX_ROWS.toLocaleString('en')} signatures go through HNSW; others are searched exactly.\n`,
    );
    console.log(
      '| database | signatures | search | load + index build s | p50 ms | p95 ms | recall@1 | other CPU |',
    );
    console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
    const pglite = await openDatabase({ voiceEmbeddingDim: config.voiceEmbeddingDim });
    try {
      await benchSearch(pglite, 'PGlite', sizes);
    } finally {
      await pglite.close();
    }
    if (config.databaseUrl) {
      const server = await openDatabase({
        databaseUrl: config.databaseUrl,
        voiceEmbeddingDim: config.voiceEmbeddingDim,
      });
      try {
        await benchSearch(server, 'PostgreSQL', sizes);
      } finally {
        await server.close();
      }
    }
    console.log();
  }
}

await main();
