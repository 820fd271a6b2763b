import fs from 'node:fs';
import path from 'node:path';
import koffi from 'koffi';
import type { AsrSegment, AsrWord, EngineStatus, SpeechRecognizer } from './asr.js';

/** pocketsphinx computes 100 feature frames per second. */
const FRAMES_PER_SECOND = 100;

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
  process(pcm: Int16Array): void;
  end(): void;
  words(): AsrWord[];
};

/** The C API of libpocketsphinx 5prealpha (Debian bookworm), bound through koffi (no compiler). */
function openDecoder(settings: PocketsphinxSettings): Decoder {
  const lib = koffi.load(settings.library);
  const cmdLnInit = lib.func('void* cmd_ln_init(void* inout, void* defn, int strict, ...)');
  const psArgs = lib.func('void* ps_args()');
  const psInit = lib.func('void* ps_init(void* config)');
  const psStartUtt = lib.func('int ps_start_utt(void* ps)');
  const psProcessRaw = lib.func(
    'int ps_process_raw(void* ps, const int16_t* data, size_t n, int no_search, int full_utt)',
  );
  const psEndUtt = lib.func('int ps_end_utt(void* ps)');
  const psSegIter = lib.func('void* ps_seg_iter(void* ps)');
  const psSegNext = lib.func('void* ps_seg_next(void* seg)');
  const psSegWord = lib.func('const char* ps_seg_word(void* seg)');
  const psSegFrames = lib.func('void ps_seg_frames(void* seg, _Out_ int* sf, _Out_ int* ef)');

  const files = modelFiles(settings.modelDir);
  const args = ['-hmm', files.hmm, '-lm', files.lm, '-dict', files.dict, '-logfn', '/dev/null'];
  const config = cmdLnInit(null, psArgs(), 1, ...args.flatMap((arg) => ['str', arg]), 'str', null);
  if (!config) throw new Error('pocketsphinx rejected its configuration');
  const ps = psInit(config);
  if (!ps) throw new Error(`pocketsphinx could not load its model from ${settings.modelDir}`);
  return {
    start: () => psStartUtt(ps),
    process: (pcm) => psProcessRaw(ps, pcm, pcm.length, 0, 1),
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
  };
}

/**
 * Debian's pocketsphinx with its shipped US English model: offline, no download. It is much
 * better on whole utterances than on small chunks, so it is given one VAD utterance at a time.
 * Synchronous inside: run it in a speech worker thread.
 */
export class PocketsphinxRecognizer implements SpeechRecognizer {
  readonly name = 'pocketsphinx';
  private readonly decoder: Decoder;

  constructor(settings: PocketsphinxSettings) {
    this.decoder = openDecoder(settings);
  }

  async transcribe(samples: Float32Array): Promise<AsrSegment[]> {
    const pcm = new Int16Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      pcm[i] = Math.max(-32768, Math.min(32767, Math.round((samples[i] ?? 0) * 32767)));
    }
    this.decoder.start();
    this.decoder.process(pcm);
    this.decoder.end();
    const words = this.decoder.words();
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
}
