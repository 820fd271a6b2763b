import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/infra/config/config.js';
import { openLiveSession } from '../../src/pipeline/engines/asr/asr.js';
import { SileroVad, sileroModelPath } from '../../src/pipeline/engines/vad/silero.js';
import { speechSettings } from '../../src/pipeline/speech/engines.js';
import { LiveSpeechThreads } from '../../src/pipeline/speech/live-threads.js';
import { type LiveSpeechEvent, LiveTranscriber } from '../../src/pipeline/speech/live-transcriber.js';
import { embedVoice, loadSpeechEngines } from '../../src/pipeline/speech/worker.js';
import { CLIP, JFK } from '../helpers/fixtures.js';
import { fixtureSamples, wordErrorRate } from '../helpers/speech.js';

const JFK_TEXT =
  'And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country.';
const settings = speechSettings(loadConfig({ ...process.env, ASR_ENGINE: 'pocketsphinx' }));
const PARTIALS = { partialEverySeconds: 1, repeatPartialAfterSeconds: 2 };
const vadStream = () => new SileroVad(sileroModelPath(settings.vadModelPath)!).stream();
/** 200 ms chunks, as a live client sends them. */
const CHUNK = 3200;

function chunks(samples: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < samples.length; i += CHUNK) out.push(samples.subarray(i, i + CHUNK));
  return out;
}

describe('live speech: utterances streamed into the recogniser as they are spoken', () => {
  it('sends partial guesses at least every 2 s of a long utterance, then the final text', async () => {
    const engines = loadSpeechEngines(settings);
    const transcriber = new LiveTranscriber(
      vadStream(),
      openLiveSession(engines.asr!),
      (samples) => embedVoice(engines, samples),
      {
        ...PARTIALS,
        maxUtteranceSeconds: 30,
      },
    );
    const samples = await fixtureSamples(JFK);
    const events: (LiveSpeechEvent & { heardAt: number })[] = [];
    let heard = 0;
    for (const chunk of chunks(samples)) {
      heard += chunk.length / 16_000;
      for (const event of await transcriber.push(chunk)) events.push({ ...event, heardAt: heard });
    }
    for (const event of await transcriber.flush()) events.push({ ...event, heardAt: heard });

    const finals = events.filter((e) => e.kind === 'final');
    const partials = events.filter((e) => e.kind === 'partial');
    expect(finals.length).toBeGreaterThan(0);
    // 0.18 (recorded calls' figure); 0.32 before a call's first utterance was decoded again with
    // the call's own cepstral means.
    expect(wordErrorRate(JFK_TEXT, finals.map((f) => f.text).join(' '))).toBeLessThan(0.25);
    for (const final of finals) {
      expect(final.end).toBeGreaterThan(final.start);
      expect(final.kind === 'final' && final.voice?.embedding?.length).toBeGreaterThan(0);
    }
    // Partials while each utterance lasts, never more than 2 s of audio apart, each ending where
    // the audio heard so far ends.
    expect(partials.length).toBeGreaterThan(2);
    for (const final of finals) {
      const during = partials.filter((p) => p.heardAt > final.start && p.heardAt <= final.end + 0.1);
      if (final.end - final.start < 2.5) continue;
      expect(during.length).toBeGreaterThan(0);
      const times = [final.start + 0.5, ...during.map((p) => p.heardAt), final.end];
      for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeLessThanOrEqual(2.25);
    }
    for (const partial of partials) {
      expect(partial.end).toBeLessThanOrEqual(partial.heardAt + 1e-6);
      expect(partial.end).toBeGreaterThan(partial.heardAt - CHUNK / 16_000 - 1e-6);
    }
  }, 60_000);

  it("recognises a quiet microphone as well: the decoder settles on the call's own cepstral means", async () => {
    const engines = loadSpeechEngines(settings);
    const quiet = (await fixtureSamples(JFK)).map((x) => x * 0.25);
    const transcriber = new LiveTranscriber(
      vadStream(),
      openLiveSession(engines.asr!),
      (samples) => embedVoice(engines, samples),
      { ...PARTIALS, maxUtteranceSeconds: 6 },
    );
    const events: LiveSpeechEvent[] = [];
    for (const chunk of chunks(quiet)) events.push(...(await transcriber.push(chunk)));
    events.push(...(await transcriber.flush()));
    transcriber.close();
    const text = events
      .filter((e) => e.kind === 'final')
      .map((e) => e.text)
      .join(' ');
    // 0.18; 0.55 when the first utterance was decoded with the model's generic means.
    expect(wordErrorRate(JFK_TEXT, text)).toBeLessThan(0.25);
  }, 60_000);

  it('cuts speech that goes on without a pause at a quiet moment near the longest utterance', async () => {
    const engines = loadSpeechEngines(settings);
    // The fixture clip is ten seconds of singing and talking over music: the VAD hears no pause.
    const clip = await fixtureSamples(CLIP);
    const audio = new Float32Array(clip.length * 2);
    audio.set(clip);
    audio.set(clip, clip.length);
    const transcriber = new LiveTranscriber(
      vadStream(),
      openLiveSession(engines.asr!),
      (s) => embedVoice(engines, s),
      {
        ...PARTIALS,
        maxUtteranceSeconds: 5,
      },
    );
    const events: LiveSpeechEvent[] = [];
    for (const chunk of chunks(audio)) events.push(...(await transcriber.push(chunk)));
    const beforeEnd = events.filter((e) => e.kind === 'final').length;
    events.push(...(await transcriber.flush()));
    const finals = events.filter((e) => e.kind === 'final');
    // Finals while the speech goes on, not all of it at the end of the call.
    expect(beforeEnd).toBeGreaterThanOrEqual(3);
    for (const final of finals) expect(final.end - final.start).toBeLessThanOrEqual(5.05);
    // Consecutive pieces: each starts where the previous one was cut.
    for (let i = 1; i < finals.length; i++)
      expect(finals[i]!.start).toBeGreaterThanOrEqual(finals[i - 1]!.end - 0.6);
    expect(finals.at(-1)!.end).toBeCloseTo(audio.length / 16_000, 0);
  }, 60_000);
});

describe('live speech threads', () => {
  const threads = new LiveSpeechThreads(
    settings,
    {
      threads: 2,
      transcriber: { ...PARTIALS, maxUtteranceSeconds: 15 },
    },
    pino({ level: 'silent' }),
  );
  afterAll(() => threads.close());

  it('runs two calls at once, each with its own utterances, every event before finish resolves', async () => {
    const samples = await fixtureSamples(JFK);
    const calls = [0, 1].map(() => {
      const events: LiveSpeechEvent[] = [];
      return { events, session: threads.open((batch) => events.push(...batch)) };
    });
    for (const chunk of chunks(samples)) for (const call of calls) call.session.push(chunk);
    await Promise.all(calls.map((call) => call.session.finish()));
    for (const { events } of calls) {
      const text = events
        .filter((e) => e.kind === 'final')
        .map((e) => e.text)
        .join(' ');
      expect(wordErrorRate(JFK_TEXT, text)).toBeLessThan(0.25);
      expect(events.some((e) => e.kind === 'partial')).toBe(true);
    }
    expect(calls[0]!.events.filter((e) => e.kind === 'final').map((e) => e.text)).toEqual(
      calls[1]!.events.filter((e) => e.kind === 'final').map((e) => e.text),
    );
  }, 60_000);

  it('a session that cannot start (no recogniser) finishes without events', async () => {
    const broken = new LiveSpeechThreads(
      { ...settings, asrEngine: 'none' },
      {
        threads: 1,
        transcriber: { ...PARTIALS, maxUtteranceSeconds: 15 },
      },
      pino({ level: 'silent' }),
    );
    try {
      const events: LiveSpeechEvent[] = [];
      const session = broken.open((batch) => events.push(...batch));
      session.push(new Float32Array(16_000));
      await session.finish();
      expect(events).toEqual([]);
    } finally {
      await broken.close();
    }
  }, 30_000);
});
