/**
 * A worker thread of the face-api engine: loads the models once (from the npm package, nothing is
 * downloaded) on the WASM backend, then serves `detect` and `embed` tasks from the pool. tfjs
 * disables WASM threads under Node, so parallelism comes from running several of these workers.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as Tf from '@tensorflow/tfjs';
import type * as FaceApi from '@vladmandic/face-api/dist/face-api.node-wasm.js';
import { type DetectedFace, FACE_CROP_SIZE, type FaceDetector, type RgbImage } from './face-engine.js';
import { laplacianVariance } from './sharpness.js';

const require = createRequire(import.meta.url);

export type DetectTask = { image: RgbImage; minScore: number; detector: FaceDetector };
export type EmbedTask = { crops: RgbImage[] };

type FaceApiModule = typeof FaceApi;
/** face-api re-exports all of tfjs (and the WASM backend) but types only part of it. */
type TfWithWasm = typeof Tf & { setWasmPaths(prefix: string): void };
const tfOf = (faceapi: FaceApiModule) => faceapi.tf as unknown as TfWithWasm;

let loading: Promise<FaceApiModule> | undefined;

/** The Tiny Face Detector's input (a multiple of 32): 416 finds faces down to ~40 px in a 640 px frame. */
const TINY_INPUT_SIZE = 416;

/** The model directory shipped inside the npm package. */
export function faceApiModelDir(): string {
  return path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

export function wasmDir(): string {
  return `${path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'))}/`;
}

async function load(): Promise<FaceApiModule> {
  const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApiModule;
  const tf = tfOf(faceapi);
  tf.setWasmPaths(wasmDir());
  await tf.setBackend('wasm');
  await tf.ready();
  const models = faceApiModelDir();
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  await faceapi.nets.tinyFaceDetector.loadFromDisk(models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
  return faceapi;
}

function faceApi(): Promise<FaceApiModule> {
  loading ??= load();
  return loading;
}

function toTensor(faceapi: FaceApiModule, image: RgbImage) {
  return tfOf(faceapi).tensor3d(image.rgb, [image.height, image.width, 3], 'int32');
}

export async function detect({ image, minScore, detector }: DetectTask): Promise<DetectedFace[]> {
  const faceapi = await faceApi();
  const tf = tfOf(faceapi);
  const input = toTensor(faceapi, image);
  const options =
    detector === 'tiny'
      ? new faceapi.TinyFaceDetectorOptions({ inputSize: TINY_INPUT_SIZE, scoreThreshold: minScore })
      : new faceapi.SsdMobilenetv1Options({ minConfidence: minScore });
  try {
    const found = await faceapi.detectAllFaces(input as never, options).withFaceLandmarks();
    found.sort((a, b) => b.detection.score - a.detection.score);
    // The box dlib's alignment gives, as face-api's own withFaceDescriptors() uses: the
    // recognition net was trained on crops like these.
    const crops = await faceapi.extractFaceTensors(
      input as never,
      found.map((face) => face.landmarks.align(null, { useDlibAlignment: true })),
    );
    const faces: DetectedFace[] = [];
    for (const [i, face] of found.entries()) {
      const cropTensor = crops[i]! as unknown as Tf.Tensor3D;
      const [height, width] = cropTensor.shape;
      const scale = Math.min(1, FACE_CROP_SIZE / Math.max(height, width));
      const size: [number, number] = [
        Math.max(1, Math.round(height * scale)),
        Math.max(1, Math.round(width * scale)),
      ];
      const resized = tf.tidy(() =>
        tf.image.resizeBilinear(cropTensor, size).round().clipByValue(0, 255).cast('int32'),
      );
      const crop: RgbImage = { width: size[1], height: size[0], rgb: Uint8Array.from(resized.dataSync()) };
      resized.dispose();
      cropTensor.dispose();
      const box = face.detection.box;
      faces.push({
        box: { x: box.x, y: box.y, width: box.width, height: box.height },
        score: face.detection.score,
        landmarks: face.landmarks.positions.map((p) => ({ x: p.x, y: p.y })),
        crop,
        sharpness: laplacianVariance(crop),
      });
    }
    return faces;
  } finally {
    input.dispose();
  }
}

export async function embed({ crops }: EmbedTask): Promise<Float32Array[]> {
  const faceapi = await faceApi();
  const out: Float32Array[] = [];
  for (const crop of crops) {
    const input = toTensor(faceapi, crop);
    try {
      const descriptor = (await faceapi.computeFaceDescriptor(input as never)) as Float32Array;
      const norm = Math.hypot(...descriptor) || 1;
      out.push(descriptor.map((x) => x / norm));
    } finally {
      input.dispose();
    }
  }
  return out;
}

/** Loads the models (a pool warms its workers with this). */
export async function warm(): Promise<void> {
  await faceApi();
}
