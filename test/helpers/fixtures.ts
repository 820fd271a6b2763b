import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './process.js';

/** The shared fixtures, used in place (never copied into the repo): see ../shared/fixtures/README.md. */
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures');
export const CLIP = path.join(FIXTURES, 'video/short_hamilton_clip.mp4');
export const JFK = path.join(FIXTURES, 'audio/jfk.flac');
export const TWO_SPEAKERS = path.join(FIXTURES, 'audio/two_speakers.wav');
export const PHOTO = path.join(FIXTURES, 'faces/obama-obama.jpg');
export const FACES = path.join(FIXTURES, 'faces');

/** The fixture photos of one person each, with who is in them (from the file name: `person-what.ext`). */
export function facePhotos(): { file: string; person: string }[] {
  return fs
    .readdirSync(FACES)
    .filter((f) => /\.(jpe?g|png)$/i.test(f) && !f.startsWith('group-'))
    .sort()
    .map((f) => ({ file: path.join(FACES, f), person: f.slice(0, f.indexOf('-')) }));
}

/** The group photos and who is in each (../shared/fixtures/README.md). */
export const GROUP_PHOTOS: Record<string, string[]> = {
  'group-obama_and_biden.jpg': ['biden', 'obama'],
  'group-kit_with_rose.jpg': ['kit_harington', 'rose_leslie'],
  'group-two_people.jpg': ['biden', 'obama'],
};
