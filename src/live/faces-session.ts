import type { FastifyBaseLogger as Logger } from 'fastify';
import { type DecodedImage, decodeImage, encodeJpeg, ImageError } from '../infra/media/image.js';
import type { FaceDetector, FaceEngine } from '../pipeline/engines/face/index.js';
import { FrameChangeDetector, UNCHANGED_FRAME_DIFFERENCE } from '../pipeline/faces/frame-change.js';
import type { FaceIdentifier } from '../pipeline/faces/identifier.js';
import { type FaceTrack, FaceTracker } from '../pipeline/faces/tracker.js';
import type { CallSink, VideoSession } from './engines.js';

export type LiveFacesDeps = {
  engine: FaceEngine;
  identifier: FaceIdentifier;
  /** Cosine distance under which two faces are one person (the recorded-call threshold). */
  matchThreshold: number;
  maxPixels: number;
  /** LIVE_FACE_DETECTOR: a frame must be answered while the call runs. */
  detector: FaceDetector;
  log: Logger;
};

/** Frames larger than this are downscaled before detection, as the recorded-call frames are. */
const LIVE_FRAME_MAX_SIDE = 640;
/** A face unseen for this long has left the call's picture (frames arrive every ~0.5–1 s). */
const MAX_GAP_SECONDS = 3;

/**
 * Faces in a live call: the recorded-call tracker and identifier, run on frames as they come. A
 * track is identified as soon as it has its first embedding, so a person is announced within one
 * frame's work; the call announces each person (and each unknown face) once.
 */
export function openLiveFaces(deps: LiveFacesDeps, call: CallSink): VideoSession {
  const tracker = new FaceTracker({
    maxGapSeconds: MAX_GAP_SECONDS,
    minIou: 0.3,
    reembedEverySeconds: 10,
    splitDistance: deps.matchThreshold,
  });
  const identified = new Set<number>();
  // A still picture (a paused camera, someone listening) needs no new detection: its faces stay.
  const changes = new FrameChangeDetector(UNCHANGED_FRAME_DIFFERENCE);

  async function identify(track: FaceTrack, at: number) {
    if (!track.embedding || identified.has(track.id)) return;
    identified.add(track.id);
    const identification = await deps.identifier.identify(call.userId, {
      embedding: track.embedding,
      samples: track.detections,
      crop: track.best.crop,
      seenAt: new Date(),
    });
    if (identification.relationshipId !== null) {
      await call.identified({
        relationshipId: identification.relationshipId,
        faceSignatureId: identification.signatureId,
        confidence: Math.max(0, Math.min(1, 1 - identification.distance)),
        at,
      });
    } else {
      const thumbnail = (await encodeJpeg(track.best.crop)).toString('base64');
      call.unknown({ faceSignatureId: identification.signatureId, thumbnail, at });
    }
  }

  return {
    async frame(bytes, at) {
      let image: DecodedImage;
      try {
        image = await decodeImage(bytes, { maxPixels: deps.maxPixels, maxSide: LIVE_FRAME_MAX_SIDE });
      } catch (error) {
        if (error instanceof ImageError) return; // the socket already checked the magic bytes
        throw error;
      }
      if (!changes.changed(image)) {
        tracker.extend(at);
        return;
      }
      const faces = await deps.engine.detect(image, { detector: deps.detector });
      const { assignments } = tracker.update(at, faces);
      const due = assignments.filter((a) => a.needsEmbedding);
      const embeddings = await deps.engine.embed(due.map((a) => a.face.crop));
      due.forEach((assignment, i) => {
        tracker.addEmbedding(assignment, at, embeddings[i]!);
      });
      for (const { track } of assignments) await identify(track, at);
    },
    async close() {
      tracker.finish();
    },
  };
}
