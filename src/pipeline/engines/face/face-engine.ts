/**
 * What the rest of Rapport knows about face recognition: find faces in a picture, and turn one
 * face into an embedding. Engines run inference off the event loop; the pipeline's faces stage,
 * enrolment and live calls share one engine per process.
 */

/** Packed RGB, 3 bytes per pixel, rows top to bottom (the layout of decoded photos and video frames). */
export type RgbImage = { width: number; height: number; rgb: Uint8Array };

/** Pixels of the image the face was found in. */
export type FaceBox = { x: number; y: number; width: number; height: number };

export type DetectedFace = {
  box: FaceBox;
  /** Detector confidence, 0–1. */
  score: number;
  /** 68 landmark points (dlib layout), in image pixels. */
  landmarks: { x: number; y: number }[];
  /** The face cut out along its landmark-aligned box, at most FACE_CROP_SIZE pixels a side: the input of `embed`. */
  crop: RgbImage;
  /** Variance of the Laplacian of the crop's luminance: low means blurry. */
  sharpness: number;
};

/**
 * `ssd`: SSD MobileNet v1, the more thorough (small and turned faces); `tiny`: Tiny Face
 * Detector, about five times faster on a 640 px frame. Both feed the same landmark alignment and
 * recognition net, so embeddings compare across them.
 */
export type FaceDetector = 'ssd' | 'tiny';
export const FACE_DETECTORS = ['ssd', 'tiny'] as const;

export type DetectOptions = {
  /** Faces the detector is less sure of are dropped (default: the engine's). */
  minScore?: number;
  /** Default: the engine's. */
  detector?: FaceDetector;
};

export type EngineStatus = { name: string; available: boolean; reason: string | null };

export interface FaceEngine {
  readonly name: string;
  /** Length of the embeddings `embed` returns. */
  readonly dimensions: number;
  /** Whether the engine can run here (model files and runtime present), without loading it. */
  status(): EngineStatus;
  /** Faces in the image, most confident first. */
  detect(image: RgbImage, options?: DetectOptions): Promise<DetectedFace[]>;
  /** One unit-length embedding per crop (from `detect`); compare them by cosine distance. */
  embed(crops: RgbImage[]): Promise<Float32Array[]>;
  /** Stops the engine's workers; a later call starts them again. */
  close(): Promise<void>;
}

/** Largest side of the crops handed to `embed` (the recognition net's input size). */
export const FACE_CROP_SIZE = 150;
