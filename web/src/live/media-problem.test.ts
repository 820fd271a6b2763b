import { describe, expect, it } from 'vitest';
import { mediaProblem } from './media-problem';

const domError = (name: string, message = '') => Object.assign(new Error(message), { name });

describe('the live-call page’s words for media problems', () => {
  it('names each getUserMedia failure', () => {
    expect(mediaProblem(domError('NotAllowedError'))).toMatch(/were refused/);
    expect(mediaProblem(domError('NotFoundError'))).toBe('No camera or microphone was found.');
    expect(mediaProblem(domError('NotReadableError'))).toMatch(/in use by another program/);
    expect(mediaProblem(domError('AbortError', 'Timeout starting video source'))).toBe(
      'The camera and microphone are not available: Timeout starting video source',
    );
  });

  it('says that plain HTTP gets no camera, whatever the error', () => {
    expect(mediaProblem(new TypeError('navigator.mediaDevices is undefined'), false)).toMatch(/over HTTPS/);
  });
});
