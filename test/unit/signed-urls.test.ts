import { describe, expect, it } from 'vitest';
import { redactAccessParam, UrlSigner } from '../../src/infra/http/signed-urls.js';

describe('UrlSigner', () => {
  const signer = new UrlSigner('k'.repeat(40));
  const path = '/api/interactions/7/media/';
  const soon = new Date(Date.now() + 60_000);

  it('verifies its own links for the path and user they were made for', () => {
    expect(signer.verify(signer.sign(42, path, soon), path)).toBe(42);
  });

  it('refuses another path, an expired link, a tampered one, another secret, garbage', () => {
    const access = signer.sign(42, path, soon);
    expect(signer.verify(access, '/api/interactions/8/media/')).toBeUndefined();
    expect(signer.verify(signer.sign(42, path, new Date(Date.now() - 1000)), path)).toBeUndefined();
    expect(signer.verify(access.replace(/^42\./, '43.'), path)).toBeUndefined();
    expect(signer.verify(`${access.slice(0, -1)}${access.endsWith('A') ? 'B' : 'A'}`, path)).toBeUndefined();
    expect(new UrlSigner('z'.repeat(40)).verify(access, path)).toBeUndefined();
    for (const bad of ['', '42', '42.1.', 'a.b.c', `${access}x`])
      expect(signer.verify(bad, path)).toBeUndefined();
  });

  it('without a secret, links made by one process do not open on another', () => {
    const access = new UrlSigner(undefined).sign(1, path, soon);
    expect(new UrlSigner(undefined).verify(access, path)).toBeUndefined();
  });
});

describe('redactAccessParam', () => {
  it('keeps links out of log lines', () => {
    expect(redactAccessParam('/api/interactions/1/media/?access=1.2.abc&x=1')).toBe(
      '/api/interactions/1/media/?access=[redacted]&x=1',
    );
    expect(redactAccessParam('/api/x/?a=1&access=secret')).toBe('/api/x/?a=1&access=[redacted]');
    expect(redactAccessParam('/api/x/?noaccess=1')).toBe('/api/x/?noaccess=1');
  });
});
