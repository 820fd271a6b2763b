import fs from 'node:fs';
import path from 'node:path';
import koffi from 'koffi';
import { pcm16FromFloat } from '../../../infra/media/wav.js';
import type {
  AsrSegment,
  AsrWord,
  EngineStatus,
  LiveRecognition,
  SpeechRecognizer,
  UtteranceStream,
} from './asr.js';

/**
 * How live calls' decoders search and normalise (recorded calls keep the full search). Measured
 * with `npm run bench:speech -- --live-only` (jfk.flac at three loudnesses, WER averaged): before,
 * maxhmmpf 3000 and no settling, 0.35–0.47; settling alone (3000) 0.29; settling with 4000 (or no
 * limit, at twice the CPU) 0.18, as good as decoding the whole file at once.
 */
export type LiveDecoding = {
  /**
   * Most HMMs active per frame (`-maxhmmpf`; undefined: no limit, 1.7–2.2× the CPU of 4000).
   * 3000 loses words even with settled means (jfk.flac 0.27–0.32); 2000 lost more before (0.50).
   */
  maxActiveHmms: number | undefined;
  /**
   * Cepstral mean normalisation settles on the call's own audio: until the decoder has heard this
   * many seconds, an utterance is decoded again from its start once its means are known (0: never).
   * A streaming decoder subtracts the mean it learnt from the utterances before, so a call's first
   * utterance would be decoded with the model's generic means (feat.params' `-cmninit`, which
   * overrides one given on the command line in this pocketsphinx version) — far off for most
   * microphones and loudnesses (jfk.flac's c0 mean is 64, the model's 41).
   */
  cmnSettleSeconds: number;
};

export const LIVE_DECODING: LiveDecoding = { maxActiveHmms: 4000, cmnSettleSeconds: 2 };

/** pocketsphinx computes 100 feature frames per second (of 16 kHz audio). */
const FRAMES_PER_SECOND = 100;
const SAMPLES_PER_FRAME = 160;

export type PocketsphinxSettings = { library: string; modelDir: string };

function modelFiles(modelDir: string) {
  return {
    hmm: path.join(modelDir, 'en-us'),
    lm: path.join(modelDir, 'en-us.lm.bin'),
    dict: path.join(modelDir, 'cmudict-en-us.dict'),
  };
}

/** Whether the shared library loads and Debian's pocketsphinx-en-us model files are there. */
export function pocketsphinxStatus(settings: PocketsphinxSettings): EngineStatus {
  const name = 'pocketsphinx';
  try {
    koffi.load(settings.library);
  } catch {
    return {
      name,
      available: false,
      reason: `${settings.library} cannot be loaded (apt-get install pocketsphinx pocketsphinx-en-us).`,
    };
  }
  const missing = Object.values(modelFiles(settings.modelDir)).filter((file) => !fs.existsSync(file));
  if (missing.length > 0)
    return { name, available: false, reason: `pocketsphinx model files missing: ${missing.join(', ')}` };
  return { name, available: true, reason: `pocketsphinx, English model in ${settings.modelDir}` };
}

type Decoder = {
  start(): void;
  /** `wholeUtterance`: all of it at once (better search) rather than a piece of a stream. */
  process(pcm: Int16Array, wholeUtterance: boolean): void;
  /** The best hypothesis so far (words only). */
  hypothesis(): string;
  end(): void;
  words(): AsrWord[];
  free(): void;
};

/** The C API of libpocketsphinx 5prealpha (Debian bookworm), bound through koffi (no compiler). */
function openDecoder(settings: PocketsphinxSettings, extraArgs: string[] = []): Decoder {
  const lib = koffi.load(settings.library);
  const cmdLnInit = lib.func('void* cmd_ln_init(void* inout, void* defn, int strict, ...)');
  const psArgs = lib.func('void* ps_args()');
  const psInit = lib.func('void* ps_init(void* config)');
  const psFree = lib.func('int ps_free(void* ps)');
  const psStartUtt = lib.func('int ps_start_utt(void* ps)');
  const psProcessRaw = lib.func(
    'int ps_process_raw(void* ps, const int16_t* data, size_t n, int no_search, int full_utt)',
  );
  const psGetHyp = lib.func('const char* ps_get_hyp(void* ps, _Out_ int* score)');
  const psEndUtt = lib.func('int ps_end_utt(void* ps)');
  const psSegIter = lib.func('void* ps_seg_iter(void* ps)');
  const psSegNext = lib.func('void* ps_seg_next(void* seg)');
  const psSegWord = lib.func('const char* ps_seg_word(void* seg)');
  const psSegFrames = lib.func('void ps_seg_frames(void* seg, _Out_ int* sf, _Out_ int* ef)');

  const files = modelFiles(settings.modelDir);
  const args = ['-hmm', files.hmm, '-lm', files.lm, '-dict', files.dict, '-logfn', '/dev/null', ...extraArgs];
  const config = cmdLnInit(null, psArgs(), 1, ...args.flatMap((arg) => ['str', arg]), 'str', null);
  if (!config) throw new Error('pocketsphinx rejected its configuration');
  const ps = psInit(config);
  if (!ps) throw new Error(`pocketsphinx could not load its model from ${settings.modelDir}`);
  return {
    start: () => psStartUtt(ps),
    process: (pcm, wholeUtterance) => psProcessRaw(ps, pcm, pcm.length, 0, wholeUtterance ? 1 : 0),
    hypothesis: () => String(psGetHyp(ps, [0]) ?? ''),
    end: () => psEndUtt(ps),
    words() {
      const words: AsrWord[] = [];
      for (let seg = psSegIter(ps); seg; seg = psSegNext(seg)) {
        const word = String(psSegWord(seg));
        const sf = [0];
        const ef = [0];
        psSegFrames(seg, sf, ef);
        // Fillers (<s>, </s>, <sil>, [NOISE]…) are not words; "for(2)" is a pronunciation variant.
        if (/^(<.*>|\[.*\])$/.test(word)) continue;
        words.push({
          word: word.replace(/\(\d+\)$/, ''),
          start: (sf[0] ?? 0) / FRAMES_PER_SECOND,
          end: ((ef[0] ?? 0) + 1) / FRAMES_PER_SECOND,
        });
      }
      return words;
    },
    free: () => psFree(ps),
  };
}

function concatPcm(chunks: Int16Array[]): Int16Array {
  const all = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.length;
  }
  return all;
}

function segmentsOf(words: AsrWord[]): AsrSegment[] {
  if (words.length === 0) return [];
  return [
    {
      start: words[0]!.start,
      end: words[words.length - 1]!.end,
      text: words.map((w) => w.word).join(' '),
      words,
    },
  ];
}

/**
 * Debian's pocketsphinx with its shipped US English model: offline, no download. Recorded calls
 * give it one whole VAD utterance at a time (its best search; the thread's decoders are pooled);
 * live calls stream each utterance into a decoder of their own as it is spoken, so partial guesses
 * come for free and the final one is ready a few hundred milliseconds after the speaker stops.
 * Synchronous inside: run it in a speech worker thread.
 */
export class PocketsphinxRecognizer implements SpeechRecognizer {
  readonly name = 'pocketsphinx';
  private readonly idle: Decoder[] = [];

  /** Decoders are loaded on first use: a live-speech thread only ever opens live sessions. */
  constructor(
    private readonly settings: PocketsphinxSettings,
    private readonly live: LiveDecoding = LIVE_DECODING,
  ) {}

  private acquire(): Decoder {
    const decoder = this.idle.pop() ?? openDecoder(this.settings);
    decoder.start();
    return decoder;
  }

  private release(decoder: Decoder): AsrSegment[] {
    decoder.end();
    const words = decoder.words();
    this.idle.push(decoder);
    return segmentsOf(words);
  }

  async transcribe(samples: Float32Array): Promise<AsrSegment[]> {
    const decoder = this.acquire();
    decoder.process(pcm16FromFloat(samples), true);
    return this.release(decoder);
  }

  /**
   * A decoder of its own for the call (~95 MB, ~0.25 s to load): a streaming decoder normalises
   * the audio with statistics it learns as it goes, which must not carry over from another call.
   */
  openLiveSession(): LiveRecognition {
    const live = this.live;
    const searchArgs = live.maxActiveHmms === undefined ? [] : ['-maxhmmpf', String(live.maxActiveHmms)];
    const decoder = openDecoder(this.settings, searchArgs);
    const settleSamples = live.cmnSettleSeconds * FRAMES_PER_SECOND * SAMPLES_PER_FRAME;
    /** Samples the decoder's means were learnt from (utterances ended). */
    let learnt = 0;
    let closed = false;
    return {
      openUtterance(): UtteranceStream {
        decoder.start();
        let open = true;
        /** The utterance so far, while its decoding may be redone with settled means. */
        let kept: Int16Array[] | undefined = learnt < settleSamples ? [] : undefined;
        let keptSamples = 0;
        /** Ending an utterance updates the means from its audio: it is then decoded again with them. */
        const decodeAgain = () => {
          decoder.end();
          learnt += keptSamples;
          decoder.start();
          decoder.process(concatPcm(kept ?? []), false);
        };
        return {
          accept: (samples) => {
            if (!open) return;
            const pcm = pcm16FromFloat(samples);
            decoder.process(pcm, false);
            if (!kept) return;
            kept.push(pcm);
            keptSamples += pcm.length;
            if (learnt + keptSamples >= settleSamples) {
              decodeAgain();
              kept = undefined;
            }
          },
          partial: () => (open ? decoder.hypothesis() : undefined),
          finish: async () => {
            if (!open) return [];
            open = false;
            if (kept && keptSamples > 0) decodeAgain();
            decoder.end();
            return segmentsOf(decoder.words());
          },
        };
      },
      close() {
        if (closed) return;
        closed = true;
        decoder.free();
      },
    };
  }

  close(): void {
    for (const decoder of this.idle.splice(0)) decoder.free();
  }
}
