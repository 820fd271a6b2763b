import type { AppConfig } from '../../infra/config/config.js';
import type { EngineStatus, SpeechRecognizer } from '../engines/asr/asr.js';
import { type OpenAiAsrSettings, OpenAiRecognizer, openAiAsrStatus } from '../engines/asr/openai.js';
import { LIVE_DECODING, PocketsphinxRecognizer, pocketsphinxStatus } from '../engines/asr/pocketsphinx.js';
import { SherpaRecognizer, sherpaAsrStatus } from '../engines/asr/sherpa.js';
import { WhisperRecognizer, whisperStatus } from '../engines/asr/whisper.js';
import type { SpeakerDiarizer } from '../engines/diarization/diarization.js';
import { GAUSSIAN_BIC_DEFAULTS, GaussianBicDiarizer } from '../engines/diarization/gaussian-bic.js';
import { SherpaDiarizer, sherpaDiarizationStatus } from '../engines/diarization/sherpa.js';
import { SileroVad, sileroModelPath, sileroStatus } from '../engines/vad/silero.js';
import type { VoiceActivityDetector } from '../engines/vad/vad.js';
import { MfccVoiceEmbedder } from '../engines/voice/mfcc.js';
import { SherpaVoiceEmbedder, sherpaVoiceStatus } from '../engines/voice/sherpa.js';
import type { VoiceEmbedder } from '../engines/voice/voice.js';

/** What the speech workers need, as plain data (it is posted to worker threads). */
export type SpeechSettings = AppConfig['speech'] & { openai: OpenAiAsrSettings };

export function speechSettings(config: AppConfig): SpeechSettings {
  return {
    ...config.speech,
    openai: {
      ...config.openai,
      model: config.speech.openaiTranscriptionModel,
      language: config.speech.language,
      maxBytes: config.speech.openaiMaxBytes,
    },
  };
}

const ASR_ORDER = ['openai', 'whisper', 'sherpa', 'pocketsphinx'] as const;
type AsrName = (typeof ASR_ORDER)[number];

function asrStatusOf(name: AsrName, s: SpeechSettings): EngineStatus {
  switch (name) {
    case 'openai':
      return openAiAsrStatus(s.openai);
    case 'whisper':
      return whisperStatus({ modelPath: s.whisperModelPath });
    case 'sherpa':
      return sherpaAsrStatus({ modelDir: s.sherpaAsrModelDir });
    case 'pocketsphinx':
      return pocketsphinxStatus({ library: s.pocketsphinxLibrary, modelDir: s.pocketsphinxModelDir });
  }
}

/** The transcription engine ASR_ENGINE names, or with `auto` the first that can run here. */
export function asrStatus(s: SpeechSettings): EngineStatus {
  if (s.asrEngine === 'none')
    return { name: 'none', available: false, reason: 'Transcription is turned off (ASR_ENGINE=none).' };
  if (s.asrEngine !== 'auto') return asrStatusOf(s.asrEngine, s);
  const reasons: string[] = [];
  for (const name of ASR_ORDER) {
    const status = asrStatusOf(name, s);
    if (status.available) return status;
    reasons.push(`${name}: ${status.reason}`);
  }
  return { name: 'none', available: false, reason: `No transcription engine can run. ${reasons.join(' ')}` };
}

export function vadStatus(s: SpeechSettings): EngineStatus {
  return sileroStatus(s.vadModelPath);
}

/** The voice engine VOICE_ENGINE names; `auto`: the neural model when present, else mfcc. */
export function voiceStatus(s: SpeechSettings): EngineStatus {
  const sherpa = sherpaVoiceStatus(s.speakerModelPath);
  if (s.voiceEngine === 'sherpa' || (s.voiceEngine === 'auto' && sherpa.available)) return sherpa;
  return {
    name: 'mfcc',
    available: true,
    reason: 'Training-free MFCC statistics embedding (no model needed)',
  };
}

/**
 * sherpa-onnx diarization when its two models are there; else with a neural voice model, clustering
 * of its embeddings; else the training-free Gaussian/BIC diarizer.
 */
export function diarizationStatus(s: SpeechSettings): EngineStatus {
  const sherpa = sherpaDiarizationStatus(diarizationSettings(s));
  if (sherpa.available) return sherpa;
  if (voiceStatus(s).name === 'sherpa')
    return {
      name: 'clustering',
      available: true,
      reason: `Clustering of voice embeddings over VAD windows (${sherpa.reason})`,
    };
  return {
    name: 'gaussian-bic',
    available: true,
    reason: `Training-free: BIC clustering of full-covariance MFCC Gaussians over VAD windows, then re-segmentation (${sherpa.reason})`,
  };
}

function diarizationSettings(s: SpeechSettings) {
  return {
    segmentationModelPath: s.segmentationModelPath,
    speakerModelPath: s.speakerModelPath,
    threads: s.threads,
  };
}

/** The diarization engine; undefined: cluster the voice engine's embeddings (src/pipeline/speech/diarize.ts). */
export function createDiarizer(s: SpeechSettings): SpeakerDiarizer | undefined {
  switch (diarizationStatus(s).name) {
    case 'sherpa':
      return new SherpaDiarizer(diarizationSettings(s));
    case 'gaussian-bic':
      return new GaussianBicDiarizer({
        windowPenalty: GAUSSIAN_BIC_DEFAULTS.windowPenalty * s.diarizationPenaltyScale,
        speakerPenalty: GAUSSIAN_BIC_DEFAULTS.speakerPenalty * s.diarizationPenaltyScale,
      });
    default:
      return undefined;
  }
}

export function speechEngineStatus(config: AppConfig) {
  const s = speechSettings(config);
  return { asr: asrStatus(s), vad: vadStatus(s), voice: voiceStatus(s), diarization: diarizationStatus(s) };
}

export function createRecognizer(s: SpeechSettings): SpeechRecognizer | undefined {
  const status = asrStatus(s);
  if (!status.available) return undefined;
  switch (status.name) {
    case 'openai':
      return new OpenAiRecognizer(s.openai);
    case 'whisper':
      return new WhisperRecognizer({
        modelPath: s.whisperModelPath,
        language: s.language,
        threads: s.threads,
      });
    case 'sherpa':
      return new SherpaRecognizer({
        modelDir: s.sherpaAsrModelDir,
        language: s.language,
        threads: s.threads,
      });
    case 'pocketsphinx':
      return new PocketsphinxRecognizer(
        { library: s.pocketsphinxLibrary, modelDir: s.pocketsphinxModelDir },
        { ...LIVE_DECODING, maxActiveHmms: s.pocketsphinxLiveMaxHmms },
      );
    default:
      return undefined;
  }
}

export function createVad(s: SpeechSettings): VoiceActivityDetector | undefined {
  const model = sileroModelPath(s.vadModelPath);
  return model && vadStatus(s).available ? new SileroVad(model) : undefined;
}

export function createVoiceEmbedder(s: SpeechSettings): VoiceEmbedder {
  const status = voiceStatus(s);
  if (status.name === 'sherpa') {
    if (!status.available) throw new Error(status.reason);
    return new SherpaVoiceEmbedder(s.speakerModelPath, s.voiceMatchThreshold);
  }
  return new MfccVoiceEmbedder(s.voiceMatchThreshold);
}
