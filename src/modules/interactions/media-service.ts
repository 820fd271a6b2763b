import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { ApiError, notFound } from '../../infra/http/errors.js';
import type { JobQueue } from '../../infra/queue/index.js';
import { type ByteRange, MediaTooLargeError, type Storage } from '../../infra/storage/index.js';
import type { ProcessMediaJob } from '../../pipeline/process-media.js';
import type { InteractionsRepository } from './repository.js';

export type IncomingMedia = { filename: string; contentType: string; stream: Readable };

/** `.mp4`, `.webm`… from the uploaded name, when it is a plain extension; storage keys stay safe. */
function safeExtension(filename: string): string {
  const ext = path.extname(filename).toLowerCase();
  return /^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '';
}

const tooLarge = (maxBytes: number) =>
  new ApiError(413, { detail: `The file is larger than the upload limit of ${maxBytes} bytes.` });

/**
 * A recording attached to an interaction: stored (streamed, size-limited), processed in the
 * background, replaced, re-run, served back.
 */
export class MediaService {
  constructor(
    private readonly interactions: InteractionsRepository,
    private readonly storage: Storage,
    private readonly queue: JobQueue,
    private readonly maxBytes: number,
  ) {}

  /** Stores the upload and queues it; the previous media file is removed once the new one is in place. */
  async upload(userId: number, interactionId: number, media: IncomingMedia): Promise<void> {
    const key = `users/${userId}/interactions/${interactionId}/media/${randomUUID()}${safeExtension(media.filename)}`;
    let size: number;
    try {
      ({ size } = await this.storage.put(key, media.stream, {
        contentType: media.contentType,
        maxBytes: this.maxBytes,
      }));
    } catch (error) {
      if (error instanceof MediaTooLargeError || isMultipartSizeError(error)) throw tooLarge(this.maxBytes);
      throw error;
    }
    const attached = await this.interactions.attachMedia(userId, interactionId, {
      key,
      filename: media.filename || 'recording',
      contentType: media.contentType,
      size,
    });
    if (!attached) {
      // Deleted while the upload ran: keep nothing.
      await this.storage.delete(key);
      throw notFound();
    }
    if (attached.previousKey && attached.previousKey !== key) await this.storage.delete(attached.previousKey);
    await this.enqueue({ interactionId, userId, mediaKey: key });
  }

  async reprocess(userId: number, interactionId: number): Promise<void> {
    const key = await this.interactions.requeue(userId, interactionId);
    if (key === undefined) throw notFound();
    if (key === null) throw new ApiError(400, { detail: 'This interaction has no media to process.' });
    await this.enqueue({ interactionId, userId, mediaKey: key });
  }

  private async enqueue(job: ProcessMediaJob): Promise<void> {
    // One run per media at a time: asking again while it is queued or running adds nothing.
    await this.queue.enqueue('process-media', job, { jobId: `media-${job.interactionId}-${job.mediaKey}` });
  }

  /** The stored file (or a byte range of it), with what a download needs to describe it. */
  async download(userId: number, interactionId: number, range: ByteRange | undefined) {
    const media = await this.interactions.mediaOf(userId, interactionId);
    if (!media?.key) throw notFound();
    const object = await this.storage.get(media.key, range);
    return { ...object, filename: media.filename, contentType: media.contentType ?? object.contentType };
  }

  /** Removes the stored file of an interaction being deleted. */
  async remove(key: string | null): Promise<void> {
    if (key) await this.storage.delete(key);
  }
}

/** @fastify/multipart's own limit error, raised when the part exceeds `limits.fileSize`. */
function isMultipartSizeError(error: unknown): boolean {
  return (error as { code?: string })?.code === 'FST_REQ_FILE_TOO_LARGE';
}
