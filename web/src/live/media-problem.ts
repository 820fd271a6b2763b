/**
 * Why the camera and microphone cannot be had, in words: the page has no secure context (browsers
 * give media devices only to HTTPS pages and localhost), or getUserMedia failed with one of the
 * DOMException names of the Media Capture spec.
 */
export function mediaProblem(error: unknown, secureContext = true): string {
  if (!secureContext)
    return 'The browser gives the camera and microphone only to secure pages: open Rapport over HTTPS (or on localhost).';
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'NotAllowedError' || name === 'SecurityError')
    return 'The camera and microphone were refused. Allow them for this site in the browser, then start again.';
  if (name === 'NotFoundError' || name === 'OverconstrainedError')
    return 'No camera or microphone was found.';
  if (name === 'NotReadableError')
    return 'The camera or microphone is in use by another program, or could not be started.';
  return `The camera and microphone are not available: ${(error as Error | undefined)?.message ?? String(error)}`;
}
