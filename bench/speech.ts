/**
 * Speech benchmark (`npm run bench:speech`): on the real fixtures in ../shared/fixtures/audio,
 *  - per transcription engine that can run here: WER on jfk.flac, real-time factor (wall and CPU
 *    seconds per audio second) and peak RSS, each engine in a child process of its own;
 *  - silero VAD frame precision/recall against the RTTMs (two_speakers and the AMI excerpts);
 *  - voice identification across AMI files (enrol from one file's solo speech, identify in the
 *    others), and the match threshold's true/false accept rates;
 *  - diarization error rate (NIST definition, 0.25 s collar, src/pipeline/speech/der.ts) on the
 *    AMI set and two_speakers.wav;
 *  - live-call transcription (pocketsphinx streamed through the live transcriber, as fast as it
 *    goes) beside recorded-call transcription of the same audio, per live decoding setting:
 *    WER on jfk.flac (the one fixture with a transcript) at three loudnesses, and how far live
 *    text is from recorded text on two_speakers.wav, the video clip and two AMI excerpts (no
 *    transcripts there), and the live decoding's CPU time per second of all that audio.
 *    `npm run bench:speech -- --live-only` runs this section alone.
 * Figures are noisy on a shared machine: compare runs on the same machine only.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/infra/config/config.js';
import {
  LIVE_DECODING,
  type LiveDecoding,
  PocketsphinxRecognizer,
} from '../src/pipeline/engines/asr/pocketsphinx.js';
import type { SpeakerDiarizer } from '../src/pipeline/engines/diarization/diarization.js';
import { GaussianBicDiarizer } from '../src/pipeline/engines/diarization/gaussian-bic.js';
import { bundledSileroModelPath, SileroVad } from '../src/pipeline/engines/vad/silero.js';
import { MfccVoiceEmbedder } from '../src/pipeline/engines/voice/mfcc.js';
import { analyseSpeech, recognitionChunks } from '../src/pipeline/speech/analyse.js';
import {
  diarizationErrorRate,
  parseRttm,
  type ScoredRegion,
  type SpeakerTurn,
} from '../src/pipeline/speech/der.js';
import { cosine, diarize, slice } from '../src/pipeline/speech/diarize.js';
import { asrStatus, createRecognizer, speechSettings } from '../src/pipeline/speech/engines.js';
import { LiveTranscriber } from '../src/pipeline/speech/live-transcriber.js';
import { amiFiles, amiReference, samplesOf, soloSpans } from '../test/helpers/ami.js';
import { CLIP, FIXTURES, JFK, TWO_SPEAKERS } from '../test/helpers/fixtures.js';
import { fixtureSamples, JFK_TRANSCRIPT, wordErrorRate } from '../test/helpers/speech.js';

const ENGINES = ['pocketsphinx', 'whisper', 'sherpa', 'openai'] as const;
type AsrRow = {
  engine: string;
  wer?: number;
  rtfWall?: number;
  rtfCpu?: number;
  rssMb?: number;
  note: string;
};

/** Child: one engine on jfk.flac, everything measured inside this process. */
async function asrChild(engine: (typeof ENGINES)[number]): Promise<AsrRow> {
  const settings = { ...speechSettings(loadConfig()), asrEngine: engine };
  const status = asrStatus(settings);
  if (!status.available) return { engine, note: status.reason };
  const samples = await fixtureSamples(JFK);
  const seconds = samples.length / 16_000;
  const loadStart = performance.now();
  const recognizer = createRecognizer(settings)!;
  const loadMs = performance.now() - loadStart;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const segments = await recognizer.transcribe(samples);
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const text = segments.map((s) => s.text).join(' ');
  return {
    engine,
    wer: wordErrorRate(JFK_TRANSCRIPT, text),
    rtfWall: wall / seconds,
    rtfCpu: (cpu.user + cpu.system) / 1e6 / seconds,
    rssMb: process.resourceUsage().maxRSS / 1024,
    note: `model load ${Math.round(loadMs)} ms; "${text.slice(0, 70)}"`,
  };
}

function runChild(engine: string): Promise<AsrRow> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--asr-child', engine], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.once('message', (row) => resolve(row as AsrRow));
    child.once('exit', (code) => code !== 0 && reject(new Error(`${engine} child exited ${code}`)));
  });
}

function framePR(
  reference: { start: number; end: number }[],
  hypothesis: { start: number; end: number }[],
  seconds: number,
) {
  const inAny = (spans: { start: number; end: number }[], t: number) =>
    spans.some((s) => s.start <= t && t < s.end);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let t = 0; t < seconds; t += 0.01) {
    const h = inAny(hypothesis, t);
    const r = inAny(reference, t);
    if (h && r) tp++;
    else if (h) fp++;
    else if (r) fn++;
  }
  return { tp, fp, fn };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const fixed = (x: number | undefined, d = 2) => (x === undefined ? '—' : x.toFixed(d));

async function main() {
  console.log('Speech benchmark (shared 2-core machine: timings are noisy)\n');

  // 1. Transcription engines.
  const rows: AsrRow[] = [];
  for (const engine of ENGINES) rows.push(await runChild(engine));
  console.log('Transcription of jfk.flac (11 s), one engine per child process');
  console.log('engine        WER    RTF wall  RTF CPU  peak RSS MB  note');
  for (const r of rows) {
    console.log(
      `${r.engine.padEnd(13)} ${fixed(r.wer).padEnd(6)} ${fixed(r.rtfWall, 3).padEnd(9)} ${fixed(r.rtfCpu, 3).padEnd(8)} ${fixed(r.rssMb, 0).padEnd(12)} ${r.note}`,
    );
  }

  // 2. VAD.
  const vad = new SileroVad(bundledSileroModelPath()!);
  const two = await fixtureSamples(TWO_SPEAKERS);
  const twoRef = parseRttm(fs.readFileSync(path.join(FIXTURES, 'audio/two_speakers.rttm'), 'utf8'));
  const files = await amiFiles();
  const vadTwo = framePR(twoRef, vad.detect(two), two.length / 16_000);
  const vadAmi = { tp: 0, fp: 0, fn: 0 };
  let vadMs = 0;
  let amiSeconds = 0;
  for (const f of files) {
    const t0 = performance.now();
    const regions = vad.detect(f.samples);
    vadMs += performance.now() - t0;
    amiSeconds += f.samples.length / 16_000;
    const r = framePR(f.turns, regions, f.samples.length / 16_000);
    vadAmi.tp += r.tp;
    vadAmi.fp += r.fp;
    vadAmi.fn += r.fn;
  }
  const pr = (r: { tp: number; fp: number; fn: number }) =>
    `precision ${fixed(r.tp / (r.tp + r.fp))}, recall ${fixed(r.tp / (r.tp + r.fn))}`;
  console.log('\nVoice activity (silero via sherpa-onnx, 10 ms frames vs RTTM)');
  console.log(`two_speakers.wav     ${pr(vadTwo)}`);
  console.log(
    `AMI (${files.length} files)       ${pr(vadAmi)}; RTF ${(vadMs / 1000 / amiSeconds).toFixed(4)}`,
  );

  // 3. Voice identification across AMI files.
  const voice = new MfccVoiceEmbedder();
  const enrolled: { file: string; speaker: string; embedding: Float32Array }[] = [];
  for (const f of files) {
    for (const speaker of new Set(f.turns.map((t) => t.speaker))) {
      const speech = samplesOf(f.samples, soloSpans(f.turns, speaker));
      if (speech.length / 16_000 >= 3)
        enrolled.push({ file: f.name, speaker, embedding: voice.embed(speech) });
    }
  }
  let trials = 0;
  let correct = 0;
  const same: number[] = [];
  const different: number[] = [];
  for (const a of enrolled) {
    const others = enrolled.filter((b) => b.file !== a.file);
    for (const b of others)
      (b.speaker === a.speaker ? same : different).push(cosine(a.embedding, b.embedding));
    if (!others.some((b) => b.speaker === a.speaker)) continue;
    trials++;
    const best = others.reduce((x, y) =>
      cosine(a.embedding, y.embedding) > cosine(a.embedding, x.embedding) ? y : x,
    );
    if (best.speaker === a.speaker) correct++;
  }
  const t = voice.matchThreshold;
  console.log(
    `\nVoice identification across AMI files (${voice.name}, ≥ 3 s solo speech per speaker and file)`,
  );
  console.log(`nearest enrolled voice in another file is the right speaker: ${correct}/${trials}`);
  console.log(
    `at the match threshold ${t}: same speaker accepted ${same.filter((s) => s >= t).length}/${same.length} (${pct(same.filter((s) => s >= t).length / same.length)}), different speakers accepted ${different.filter((s) => s >= t).length}/${different.length} (${pct(different.filter((s) => s >= t).length / different.length)})`,
  );

  // 4. Diarization (no ASR): the training-free default, and clustering of the mfcc embeddings
  // (what recorded calls used before it) for comparison.
  const reference = amiReference();
  const der = (r: ReturnType<typeof diarizationErrorRate>) =>
    `DER ${pct(r.der)} (missed ${pct(r.missed / r.total)}, false alarm ${pct(r.falseAlarm / r.total)}, confusion ${pct(r.confusion / r.total)})`;
  const diarizers: [string, SpeakerDiarizer | undefined][] = [
    ['gaussian-bic (default: BIC clustering of MFCC Gaussians + re-segmentation)', new GaussianBicDiarizer()],
    ['clustering of mfcc-stats embeddings (cosine, average linkage)', undefined],
  ];
  for (const [label, diarizer] of diarizers) {
    const hypothesis: SpeakerTurn[] = [];
    let diarMs = 0;
    const counts: string[] = [];
    for (const f of files) {
      const t0 = performance.now();
      const a = await analyseSpeech(f.samples, {
        vad,
        asr: undefined,
        voice,
        diarizer,
        clusterThreshold: voice.clusterThreshold,
      });
      diarMs += performance.now() - t0;
      counts.push(`${f.name}:${a.speakers.length}/${new Set(f.turns.map((x) => x.speaker)).size}`);
      hypothesis.push(
        ...a.turns.map((x) => ({ file: f.name, start: x.start, end: x.end, speaker: String(x.speaker) })),
      );
    }
    const amiDer = diarizationErrorRate(
      reference.turns.filter((r) => files.some((f) => f.name === r.file)),
      hypothesis,
      { collar: 0.25, regions: reference.regions },
    );
    const twoAnalysis = await analyseSpeech(two, {
      vad,
      asr: undefined,
      voice,
      diarizer,
      clusterThreshold: voice.clusterThreshold,
    });
    const twoDer = diarizationErrorRate(
      twoRef,
      twoAnalysis.turns.map((x) => ({
        file: 'sample',
        start: x.start,
        end: x.end,
        speaker: String(x.speaker),
      })),
      { collar: 0.25 },
    );
    console.log(`\nDiarization, silero VAD + ${label}; NIST DER, collar 0.25 s`);
    console.log(
      `AMI (${files.length} files)       ${der(amiDer)}; RTF ${(diarMs / 1000 / amiSeconds).toFixed(3)}`,
    );
    console.log(`two_speakers.wav     ${der(twoDer)}; speakers found ${twoAnalysis.speakers.length}/2`);
    console.log(`speakers found/true per AMI file: ${counts.join(' ')}`);
  }

  // What DER the AMI set gives with no speaker distinction at all (most excerpts have one dominant
  // speaker): the reference point both methods must be read against.
  const oneSpeaker = files.flatMap((f) =>
    vad.detect(f.samples).map((r) => ({ file: f.name, start: r.start, end: r.end, speaker: 'one' })),
  );
  console.log(
    `\nEvery VAD region one speaker (reference point): AMI ${der(
      diarizationErrorRate(
        reference.turns.filter((r) => files.some((f) => f.name === r.file)),
        oneSpeaker,
        { collar: 0.25, regions: reference.regions },
      ),
    )}`,
  );

  // 4b. A longer recording: all 14 fixtures end to end after 10 s of silence (so the diarizer's
  // 30 s chunks straddle files), where several AMI speakers recur across files.
  const long = endToEnd([{ name: 'sample', samples: two, turns: twoRef }, ...files], reference.regions, 10);
  const longRegions = vad.detect(long.samples);
  console.log(
    `\nDiarization of the fixtures end to end (${(long.samples.length / 16_000 / 60).toFixed(1)} min, ${new Set(long.turns.map((t) => t.speaker)).size} speakers, several in more than one file)`,
  );
  for (const [label, diarizer] of diarizers) {
    const t0 = performance.now();
    const turns = diarizer
      ? diarizer.diarize(long.samples, longRegions)
      : diarize(long.samples, longRegions, voice, voice.clusterThreshold).turns;
    const seconds = (performance.now() - t0) / 1000;
    const result = diarizationErrorRate(
      long.turns,
      turns.map((t) => ({ file: 'long', start: t.start, end: t.end, speaker: String(t.speaker) })),
      { collar: 0.25, regions: long.regions },
    );
    console.log(
      `${label.split(' ')[0]!.padEnd(20)} ${der(result)}; speakers found ${new Set(turns.map((t) => t.speaker)).size}; RTF ${(seconds / (long.samples.length / 16_000)).toFixed(4)}`,
    );
  }

  // 5. The whole stage's analysis (VAD + diarization + pocketsphinx) on AMI.
  const settings = speechSettings(loadConfig());
  if (asrStatus({ ...settings, asrEngine: 'pocketsphinx' }).available) {
    const asr = createRecognizer({ ...settings, asrEngine: 'pocketsphinx' })!;
    const t0 = performance.now();
    for (const f of files.slice(0, 3)) {
      await analyseSpeech(f.samples, {
        vad,
        asr,
        voice,
        diarizer: new GaussianBicDiarizer(),
        clusterThreshold: voice.clusterThreshold,
      });
    }
    const seconds = files.slice(0, 3).reduce((s, f) => s + f.samples.length / 16_000, 0);
    console.log(
      `\nWhole speech analysis (VAD + diarization + pocketsphinx) on 3 AMI files: RTF ${((performance.now() - t0) / 1000 / seconds).toFixed(3)}; peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );
  }

  // 6. An hour-long call's cost (last: it holds an hour of audio, which would inflate the peak RSS
  // above): the end-to-end recording played 9 times. The speakers found should not grow with it.
  const hour = endToEnd(
    Array.from({ length: 9 }, () => [{ name: 'sample', samples: two, turns: twoRef }, ...files]).flat(),
    reference.regions,
    10,
  );
  const hourRegions = vad.detect(hour.samples);
  const hourStart = performance.now();
  const hourTurns = new GaussianBicDiarizer().diarize(hour.samples, hourRegions);
  const hourSeconds = (performance.now() - hourStart) / 1000;
  console.log(
    `\ngaussian-bic, the end-to-end recording played 9 times (${(hour.samples.length / 16_000 / 60).toFixed(0)} min): ${hourSeconds.toFixed(1)} s (RTF ${(hourSeconds / (hour.samples.length / 16_000)).toFixed(4)}), speakers found ${new Set(hourTurns.map((t) => t.speaker)).size}`,
  );

  // 7. Live calls' transcription beside recorded calls'.
  await liveAccuracy();
}

/** Recordings one after another (after `leadSeconds` of silence), with their RTTM and UEM shifted. */
function endToEnd(
  recordings: { name: string; samples: Float32Array; turns: SpeakerTurn[] }[],
  scored: ScoredRegion[],
  leadSeconds: number,
) {
  const samples = new Float32Array(
    leadSeconds * 16_000 + recordings.reduce((n, r) => n + r.samples.length, 0),
  );
  const turns: SpeakerTurn[] = [];
  const regions: ScoredRegion[] = [];
  let offset = leadSeconds;
  for (const r of recordings) {
    samples.set(r.samples, offset * 16_000);
    const seconds = r.samples.length / 16_000;
    for (const t of r.turns) turns.push({ ...t, file: 'long', start: t.start + offset, end: t.end + offset });
    const uem = scored.find((u) => u.file === r.name) ?? { start: 0, end: seconds };
    regions.push({ file: 'long', start: uem.start + offset, end: uem.end + offset });
    offset += seconds;
  }
  return { samples, turns, regions };
}

type LiveInput = { name: string; samples: Float32Array; transcript?: string };

/** Recorded-call transcription: VAD regions joined into chunks, each decoded whole (analyse.ts). */
async function recordedText(recognizer: PocketsphinxRecognizer, vad: SileroVad, samples: Float32Array) {
  const words: string[] = [];
  for (const chunk of recognitionChunks(vad.detect(samples), samples.length / 16_000))
    for (const segment of await recognizer.transcribe(slice(samples, chunk))) words.push(segment.text);
  return words.join(' ');
}

/** Live-call transcription: the live transcriber (VAD, 200 ms chunks, production options), fed as fast as it goes. */
async function liveText(recognizer: PocketsphinxRecognizer, vad: SileroVad, samples: Float32Array) {
  const config = loadConfig();
  const session = recognizer.openLiveSession();
  const transcriber = new LiveTranscriber(vad.stream(), session, () => null as never, {
    partialEverySeconds: config.live.partialIntervalMs / 1000,
    repeatPartialAfterSeconds: 2,
    maxUtteranceSeconds: config.live.maxUtteranceSeconds,
  });
  const finals: string[] = [];
  const take = (events: Awaited<ReturnType<LiveTranscriber['push']>>) => {
    for (const event of events) if (event.kind === 'final') finals.push(event.text);
  };
  for (let i = 0; i < samples.length; i += 3200) take(await transcriber.push(samples.subarray(i, i + 3200)));
  take(await transcriber.flush());
  transcriber.close();
  return finals.join(' ');
}

/** Live decoding settings compared; the first is the default. */
const LIVE_VARIANTS: { name: string; decoding: LiveDecoding }[] = [
  {
    name: `default: maxhmmpf ${LIVE_DECODING.maxActiveHmms}, CMN settles over ${LIVE_DECODING.cmnSettleSeconds} s`,
    decoding: LIVE_DECODING,
  },
  {
    name: 'before: maxhmmpf 3000, CMN never settles',
    decoding: { maxActiveHmms: 3000, cmnSettleSeconds: 0 },
  },
  { name: 'maxhmmpf 3000, CMN settles over 2 s', decoding: { maxActiveHmms: 3000, cmnSettleSeconds: 2 } },
  { name: 'maxhmmpf 4000, CMN never settles', decoding: { maxActiveHmms: 4000, cmnSettleSeconds: 0 } },
  { name: 'maxhmmpf 4000, CMN settles over 1 s', decoding: { maxActiveHmms: 4000, cmnSettleSeconds: 1 } },
  { name: 'maxhmmpf 4000, CMN settles over 4 s', decoding: { maxActiveHmms: 4000, cmnSettleSeconds: 4 } },
  {
    name: 'no search limit, CMN settles over 2 s',
    decoding: { maxActiveHmms: undefined, cmnSettleSeconds: 2 },
  },
];

async function liveAccuracy() {
  const settings = speechSettings(loadConfig());
  const pocketsphinx = { library: settings.pocketsphinxLibrary, modelDir: settings.pocketsphinxModelDir };
  if (!asrStatus({ ...settings, asrEngine: 'pocketsphinx' }).available) {
    console.log('\nLive transcription: pocketsphinx cannot run here, skipped');
    return;
  }
  const vad = new SileroVad(bundledSileroModelPath()!);
  const jfk = await fixtureSamples(JFK);
  const ami = await amiFiles();
  // jfk.flac peaks at 0.78: louder would clip. Quieter stands for a quieter microphone.
  const inputs: LiveInput[] = [
    ...[1, 0.5, 0.25].map((gain) => ({
      name: `jfk×${gain}`,
      samples: jfk.map((x) => x * gain),
      transcript: JFK_TRANSCRIPT,
    })),
    { name: 'two_speakers', samples: await fixtureSamples(TWO_SPEAKERS) },
    // What bench:live streams: singing and talk over music, no pause (cut every ≤ 6 s).
    { name: 'hamilton clip', samples: await fixtureSamples(CLIP) },
    ...ami
      .filter((f) => ['dev00', 'tst00'].includes(f.name))
      .map((f) => ({ name: f.name, samples: f.samples })),
  ];
  const recorder = new PocketsphinxRecognizer(pocketsphinx);
  const recorded = new Map<string, string>();
  for (const input of inputs) recorded.set(input.name, await recordedText(recorder, vad, input.samples));
  recorder.close();

  const header = inputs.map((i) => (i.transcript ? `${i.name} WER` : `${i.name} vs rec.`));
  console.log(
    '\nLive-call transcription (pocketsphinx, live transcriber fed as fast as it goes) vs recorded calls',
  );
  console.log('WER: against the transcript; "vs rec.": word distance of live text from recorded text');
  console.log(`| setting | ${header.join(' | ')} | jfk WER (3 loudnesses) | live CPU RTF |`);
  console.log(`| --- | ${header.map(() => '---:').join(' | ')} | ---: | ---: |`);
  const jfkWer = (texts: Map<string, string>) => {
    const scored = inputs.filter((i) => i.transcript);
    const errors = scored.reduce((n, i) => n + wordErrorRate(i.transcript!, texts.get(i.name)!), 0);
    return errors / scored.length;
  };
  const score = (input: LiveInput, text: string) =>
    wordErrorRate(input.transcript ?? recorded.get(input.name)!, text);
  console.log(
    `| recorded call (whole chunks) | ${inputs.map((i) => (i.transcript ? fixed(score(i, recorded.get(i.name)!)) : '0')).join(' | ')} | ${fixed(jfkWer(recorded))} | — |`,
  );
  if (process.env.BENCH_VERBOSE) for (const [name, text] of recorded) console.log(`    ${name}: ${text}`);
  const seconds = inputs.reduce((n, i) => n + i.samples.length / 16_000, 0);
  // Unmeasured: the first live decoding of the process pays for loading and compiling.
  await liveText(new PocketsphinxRecognizer(pocketsphinx), vad, jfk);
  for (const variant of LIVE_VARIANTS) {
    const recognizer = new PocketsphinxRecognizer(pocketsphinx, variant.decoding);
    const texts = new Map<string, string>();
    const cpu0 = process.cpuUsage();
    for (const input of inputs) texts.set(input.name, await liveText(recognizer, vad, input.samples));
    const cpu = process.cpuUsage(cpu0);
    console.log(
      `| ${variant.name} | ${inputs.map((i) => fixed(score(i, texts.get(i.name)!))).join(' | ')} | ${fixed(jfkWer(texts))} | ${fixed((cpu.user + cpu.system) / 1e6 / seconds, 3)} |`,
    );
    if (process.env.BENCH_VERBOSE) for (const [name, text] of texts) console.log(`    ${name}: ${text}`);
  }
}

const childIndex = process.argv.indexOf('--asr-child');
if (process.argv.includes('--live-only')) {
  await liveAccuracy();
} else if (childIndex >= 0) {
  const row = await asrChild(process.argv[childIndex + 1] as (typeof ENGINES)[number]);
  process.send?.(row, () => process.exit(0));
} else {
  await main();
}
