import { describe, expect, it } from 'vitest';
import { hashPassword, passwordProblems, verifyPassword } from '../../src/modules/users/passwords.js';
import { generateTokenKey, hashTokenKey } from '../../src/modules/users/tokens.js';

describe('password rules (Django validators)', () => {
  const attrs = { username: 'margaret', 'email address': 'maggie@example.com' };

  it('accepts a good password', () => {
    expect(passwordProblems('violet-harbour-42-lantern', attrs)).toEqual([]);
  });

  it('reports each problem with Django wording', () => {
    expect(passwordProblems('1234567', attrs)).toEqual([
      'This password is too short. It must contain at least 8 characters.',
      'This password is too common.',
      'This password is entirely numeric.',
    ]);
    expect(passwordProblems('Password1', attrs)).toEqual(['This password is too common.']);
    expect(passwordProblems('Margaret1!', attrs)).toEqual(['The password is too similar to the username.']);
    expect(passwordProblems('maggie-example', attrs)).toContain(
      'The password is too similar to the email address.',
    );
  });

  it('hashes with argon2id and verifies', async () => {
    const hash = await hashPassword('violet-harbour-42-lantern');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(await verifyPassword(hash, 'violet-harbour-42-lantern')).toBe(true);
    expect(await verifyPassword(hash, 'violet-harbour-42-lanterN')).toBe(false);
    expect(await verifyPassword('not-a-hash', 'x')).toBe(false);
  });
});

describe('API tokens', () => {
  it('are 40 hex characters, random, stored as SHA-256', () => {
    const a = generateTokenKey();
    expect(a).toMatch(/^[0-9a-f]{40}$/);
    expect(generateTokenKey()).not.toBe(a);
    expect(hashTokenKey(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashTokenKey(a)).not.toContain(a);
  });
});
