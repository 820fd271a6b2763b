import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';

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

  // --- Faces (engine, enrolment, identification) ------------------------------------------------
  /** false: recorded calls skip the faces stage and enrolment answers 503 (no face models loaded). */
  FACE_RECOGNITION_ENABLED: envBoolean.default(true),
  /** Face inference worker threads (~650 MB each once a face is processed); default: cores − 1, 1–2. */
  FACE_WORKERS: positiveInt.max(32).optional(),
  /** Cosine distance under which two faces are the same person (measured on the fixtures). */
  FACE_MATCH_THRESHOLD: z.coerce.number().gt(0).lt(2).default(0.09),
  /** Detector confidence below which a face is ignored. */
  FACE_MIN_SCORE: z.coerce.number().gt(0).lt(1).default(0.5),
  /** Enrolment: the face must be at least this many pixels wide in the photo. */
  FACE_ENROL_MIN_SIZE_PX: positiveInt.max(4096).default(64),
  /** Enrolment: faces less sharp than this (variance of the Laplacian of the 150 px crop) are refused. */
  FACE_ENROL_MIN_SHARPNESS: z.coerce.number().min(0).default(25),
  /** Enrolment: the largest photo accepted, in bytes and in pixels (decompression bombs). */
  FACE_IMAGE_MAX_BYTES: positiveInt.default(20 * 1024 * 1024),
  FACE_IMAGE_MAX_PIXELS: positiveInt.default(50_000_000),
});

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
  faces: {
    enabled: boolean;
    workers: number;
    matchThreshold: number;
    minScore: number;
    enrolMinSizePx: number;
    enrolMinSharpness: number;
    imageMaxBytes: number;
    imageMaxPixels: number;
  };
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
    faces: {
      enabled: e.FACE_RECOGNITION_ENABLED,
      workers: e.FACE_WORKERS ?? Math.max(1, Math.min(2, os.availableParallelism() - 1)),
      matchThreshold: e.FACE_MATCH_THRESHOLD,
      minScore: e.FACE_MIN_SCORE,
      enrolMinSizePx: e.FACE_ENROL_MIN_SIZE_PX,
      enrolMinSharpness: e.FACE_ENROL_MIN_SHARPNESS,
      imageMaxBytes: e.FACE_IMAGE_MAX_BYTES,
      imageMaxPixels: e.FACE_IMAGE_MAX_PIXELS,
    },
  };
}
