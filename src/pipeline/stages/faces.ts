import type { Logger } from 'pino';
import type { Frame } from '../../infra/media/index.js';
import type { InteractionsRepository } from '../../modules/interactions/repository.js';
import type { DetectedFace, FaceEngine } from '../engines/face/face-engine.js';
import { FrameChangeDetector, UNCHANGED_FRAME_DIFFERENCE } from '../faces/frame-change.js';
import type { FaceIdentifier, Identification } from '../faces/identifier.js';
import { type FaceTrack, FaceTracker } from '../faces/tracker.js';
import type { Stage, StageContext } from '../pipeline.js';

export type FacesStageDeps = {
  engine: FaceEngine;
  identifier: FaceIdentifier;
  interactions: InteractionsRepository;
  /** Cosine distance under which two faces are one person. */
  matchThreshold: number;
  /** Frames detected at once (the engine's worker count). */
  parallelism: number;
  log: Logger;
};

/** Tracks end after this long unseen; at 1 fps that is two missed samples. */
const MAX_GAP_SECONDS = 2.5;
/** Long tracks are embedded again this often, to catch someone else taking the same place. */
const REEMBED_EVERY_SECONDS = 10;

/** One person found in the recording, for identified_participants. */
type Sighting = { identification: Identification; firstSeenAt: number };

/**
 * Who is on screen: detects faces in the sampled frames (skipping frames that did not change),
 * follows each face across frames, embeds each track only when needed, and identifies every track
 * against the user's face signatures. Known people become identified participants (and
 * participants) of the interaction; faces nobody knows are grouped into unknown people to name.
 */
export function createFacesStage(deps: FacesStageDeps): Stage {
  return {
    name: 'faces',
    weight: 20,
    appliesTo: (ctx) => ctx.media?.hasVideo === true,
    async run(ctx, progress) {
      const result = await findFaces(ctx, deps, progress);
      await saveSightings(ctx, deps, result);
    },
  };
}

async function findFaces(
  ctx: StageContext,
  deps: FacesStageDeps,
  progress: (fraction: number) => void,
): Promise<Sighting[]> {
  const tracker = new FaceTracker({
    maxGapSeconds: MAX_GAP_SECONDS,
    minIou: 0.3,
    reembedEverySeconds: REEMBED_EVERY_SECONDS,
    splitDistance: deps.matchThreshold,
  });
  const changes = new FrameChangeDetector(UNCHANGED_FRAME_DIFFERENCE);
  const duration = ctx.media?.durationSeconds ?? 0;
  const sightings: Sighting[] = [];
  const stats = { frames: 0, detected: 0, faces: 0, embedded: 0, tracks: 0 };

  const identify = async (tracks: FaceTrack[]) => {
    for (const track of tracks) {
      if (!track.embedding) continue;
      stats.tracks++;
      const identification = await deps.identifier.identify(ctx.userId, {
        embedding: track.embedding,
        samples: track.detections,
        crop: track.best.crop,
        seenAt: new Date(),
        ...(ctx.countedFaceSignatures && { alreadyCounted: ctx.countedFaceSignatures }),
      });
      sightings.push({ identification, firstSeenAt: track.firstSeenAt });
    }
  };

  // Detection of the next frames runs in the engine's workers while this one is tracked.
  type Pending = { frame: Frame; faces: Promise<DetectedFace[]> | null };
  const window: Pending[] = [];
  const handle = async ({ frame, faces: detecting }: Pending) => {
    stats.frames++;
    if (!detecting) {
      tracker.extend(frame.timestampSeconds);
      return;
    }
    const faces = await detecting;
    stats.detected++;
    stats.faces += faces.length;
    const { assignments, ended } = tracker.update(frame.timestampSeconds, faces, {
      sceneCut: frame.kind === 'scene',
    });
    await identify(ended);
    const due = assignments.filter((a) => a.needsEmbedding);
    const embeddings = await deps.engine.embed(due.map((a) => a.face.crop));
    stats.embedded += due.length;
    const split: FaceTrack[] = [];
    due.forEach((assignment, i) => {
      const endedTrack = tracker.addEmbedding(assignment, frame.timestampSeconds, embeddings[i]!);
      if (endedTrack) split.push(endedTrack);
    });
    await identify(split);
    if (duration > 0) progress(frame.timestampSeconds / duration);
  };

  try {
    for await (const frame of ctx.frames()) {
      ctx.signal.throwIfAborted();
      const image = { width: frame.width, height: frame.height, rgb: frame.rgb };
      const changed = frame.kind === 'scene' || changes.changed(image);
      if (frame.kind === 'scene') changes.reset();
      window.push({ frame, faces: changed ? deps.engine.detect(image) : null });
      if (window.length >= Math.max(1, deps.parallelism)) await handle(window.shift()!);
    }
    while (window.length > 0) await handle(window.shift()!);
  } finally {
    // Detections still running when a frame failed must not reject unobserved.
    for (const pending of window) pending.faces?.catch(() => undefined);
  }
  await identify(tracker.finish());
  ctx.log.info(
    { ...stats, people: new Set(sightings.map((s) => s.identification.signatureId)).size },
    'faces',
  );
  return sightings;
}

/** One identified participant per signature: its first sighting and its closest match. */
async function saveSightings(ctx: StageContext, deps: FacesStageDeps, sightings: Sighting[]) {
  const bySignature = new Map<
    number,
    { relationshipId: number | null; distance: number; firstSeenAt: number }
  >();
  for (const { identification, firstSeenAt } of sightings) {
    const seen = bySignature.get(identification.signatureId);
    bySignature.set(identification.signatureId, {
      relationshipId: identification.relationshipId,
      distance: Math.min(seen?.distance ?? Number.POSITIVE_INFINITY, identification.distance),
      firstSeenAt: Math.min(seen?.firstSeenAt ?? Number.POSITIVE_INFINITY, firstSeenAt),
    });
  }
  // Frame times are on the media timeline, which may not start at 0.
  const origin = ctx.media?.containerStartSeconds ?? 0;
  const rows = [...bySignature].map(([faceSignatureId, seen]) => ({
    relationshipId: seen.relationshipId,
    faceSignatureId,
    voiceSignatureId: null,
    // Cosine similarity: 1 for the signature itself.
    confidence: Math.max(0, Math.min(1, 1 - seen.distance)),
    firstSeenAt: Math.max(0, seen.firstSeenAt - origin),
  }));
  await deps.interactions.addIdentifiedParticipants(ctx.userId, ctx.interactionId, rows);
  const people = rows.flatMap((row) => (row.relationshipId === null ? [] : [row.relationshipId]));
  await deps.interactions.addParticipants(ctx.userId, ctx.interactionId, people);
}
