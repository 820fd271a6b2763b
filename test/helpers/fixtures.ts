import path from 'node:path';
import { REPO_ROOT } from './process.js';

/** The shared fixtures, used in place (never copied into the repo): see ../shared/fixtures/README.md. */
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures');
export const CLIP = path.join(FIXTURES, 'video/short_hamilton_clip.mp4');
export const JFK = path.join(FIXTURES, 'audio/jfk.flac');
export const TWO_SPEAKERS = path.join(FIXTURES, 'audio/two_speakers.wav');
export const PHOTO = path.join(FIXTURES, 'faces/obama-obama.jpg');
