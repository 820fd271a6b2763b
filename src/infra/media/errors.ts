/**
 * Why a media operation failed. The reasons about the file itself are the user's to fix (upload
 * another file); `ffmpeg_unavailable`, `ffmpeg_failed` and `timeout` are the operator's.
 */
export type MediaErrorReason =
  /** The file does not exist, or is not a regular file. */
  | 'not_found'
  /** The file exists but cannot be read (permissions). */
  | 'unreadable'
  /** Zero bytes. */
  | 'empty_file'
  /** ffprobe/ffmpeg cannot make sense of it: not audio or video at all. */
  | 'not_media'
  /** A picture, not a recording. */
  | 'still_image'
  /** A recording cut off before its end (interrupted recording or upload). */
  | 'truncated'
  /** Recognisably a media container, but its structure is damaged. */
  | 'corrupt'
  /** Readable container, but neither an audio nor a video track (e.g. subtitles only). */
  | 'no_streams'
  /** The operation needs an audio track and there is none. */
  | 'no_audio'
  /** The operation needs a video track and there is none. */
  | 'no_video'
  /** The recording lasts zero seconds (or no length can be found). */
  | 'zero_duration'
  /** Longer than the audio a WAV can hold (about 37 hours at 16 kHz). */
  | 'too_long'
  /** The operation took longer than its time limit; ffmpeg was stopped. */
  | 'timeout'
  /** The caller's AbortSignal fired; ffmpeg was stopped. */
  | 'aborted'
  /** No working ffmpeg/ffprobe binary: configuration or installation problem. */
  | 'ffmpeg_unavailable'
  /** ffmpeg/ffprobe failed for a reason not covered above. */
  | 'ffmpeg_failed';

export type MediaErrorDetails = {
  /** The file the operation was about, if any. */
  file?: string | undefined;
  /** The last few KB of ffmpeg's/ffprobe's stderr, for logs (not for users). */
  stderr?: string | undefined;
  exitCode?: number | null | undefined;
  cause?: unknown;
};

/**
 * The only error the media adapter throws. `message` is written for the person who uploaded the
 * file (no server paths, says what to do); `reason` is for code; `stderr` is for logs.
 */
export class MediaError extends Error {
  override name = 'MediaError';
  readonly reason: MediaErrorReason;
  readonly file: string | undefined;
  readonly stderr: string | undefined;
  readonly exitCode: number | null | undefined;

  constructor(reason: MediaErrorReason, message: string, details: MediaErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.reason = reason;
    this.file = details.file;
    this.stderr = details.stderr;
    this.exitCode = details.exitCode;
  }

  /** True when the file is at fault (tell the user), false when the server is (retry/alert). */
  get isUserError(): boolean {
    return !['timeout', 'aborted', 'ffmpeg_unavailable', 'ffmpeg_failed'].includes(this.reason);
  }
}

export function isMediaError(error: unknown, reason?: MediaErrorReason): error is MediaError {
  return error instanceof MediaError && (reason === undefined || error.reason === reason);
}
