export {
  AUDIO_SAMPLE_RATE,
  type ExtractedAudio,
  extractAudio,
  readPcm16,
  readWavInfo,
  type WavInfo,
} from './audio.js';
export {
  type BinaryInfo,
  type BinarySource,
  clearMediaBinariesCache,
  type MediaBinaries,
  resolveMediaBinaries,
} from './binaries.js';
export { isMediaError, MediaError, type MediaErrorReason } from './errors.js';
export { extractFrames, type Frame, type FrameOptions } from './frames.js';
export { type AudioStreamInfo, type MediaInfo, probeMedia, type VideoStreamInfo } from './probe.js';
export type { FfmpegConfig, MediaOptions } from './process.js';
