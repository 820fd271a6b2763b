import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/infra/config/config.js';

describe('loadConfig', () => {
  it('runs with no configuration at all', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ port: 8000, host: '127.0.0.1', databaseUrl: undefined, logLevel: 'info' });
    expect(config.dataDir).toBe(path.resolve('./data'));
  });

  it('treats empty values as unset, as .env files write them', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ port: 8000, databaseUrl: undefined });
  });

  it('keeps the names of the system it replaces: DEBUG turns on debug logs', () => {
    expect(loadConfig({ DEBUG: 'True' })).toMatchObject({ logLevel: 'debug', prettyLogs: true });
    expect(loadConfig({ DEBUG: 'true', LOG_LEVEL: 'warn' }).logLevel).toBe('warn');
  });

  it('keeps USE_OPENAI_APIS and OPENAI_API_KEY: a key turns the OpenAI engines on unless told otherwise', () => {
    expect(loadConfig({}).openai).toMatchObject({ enabled: false, baseUrl: 'https://api.openai.com/v1' });
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x' }).openai.enabled).toBe(true);
    expect(loadConfig({ OPENAI_API_KEY: 'sk-x', USE_OPENAI_APIS: 'False' }).openai.enabled).toBe(false);
    // A local OpenAI-compatible server (Ollama, llama.cpp) needs no key.
    const local = loadConfig({ USE_OPENAI_APIS: 'true', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1/' });
    expect(local.openai).toMatchObject({
      enabled: true,
      apiKey: undefined,
      baseUrl: 'http://127.0.0.1:11434/v1',
    });
    expect(loadConfig({ DATA_DIR: '/srv/rapport' }).modelsDir).toBe('/srv/rapport/models');
  });

  it('web app: served from web/dist of this checkout by default; SECRET_KEY must be long enough', () => {
    const repoRoot = path.resolve(import.meta.dirname, '../..');
    expect(loadConfig({}).web).toEqual({
      dir: path.join(repoRoot, 'web', 'dist'),
      secretKey: undefined,
      mediaLinkTtlSeconds: 21600,
    });
    expect(loadConfig({ SERVE_WEB_APP: 'false' }).web.dir).toBeUndefined();
    expect(loadConfig({ WEB_APP_DIR: '/srv/app' }).web.dir).toBe('/srv/app');
    expect(() => loadConfig({ SECRET_KEY: 'short' })).toThrow(
      /SECRET_KEY="short": use at least 32 characters/,
    );
    expect(() => loadConfig({ MEDIA_LINK_TTL_SECONDS: '0' })).toThrow(/MEDIA_LINK_TTL_SECONDS/);
  });

  it('names every bad variable', () => {
    try {
      loadConfig({ PORT: '70000', DATABASE_URL: 'mysql://x', DEBUG: 'maybe' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).toContain('PORT="70000"');
      expect(message).toContain('DATABASE_URL="mysql://x"');
      expect(message).toContain('DEBUG="maybe"');
    }
  });

  it('splits CORS origins', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, https://b.example,' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ]);
  });

  it('live pocketsphinx search limit: 4000 by default, 0 for none, never negative', () => {
    expect(loadConfig({}).speech.pocketsphinxLiveMaxHmms).toBe(4000);
    expect(loadConfig({ LIVE_POCKETSPHINX_MAX_HMMS: '3000' }).speech.pocketsphinxLiveMaxHmms).toBe(3000);
    expect(loadConfig({ LIVE_POCKETSPHINX_MAX_HMMS: '0' }).speech.pocketsphinxLiveMaxHmms).toBeUndefined();
    expect(() => loadConfig({ LIVE_POCKETSPHINX_MAX_HMMS: '-1' })).toThrow(/LIVE_POCKETSPHINX_MAX_HMMS/);
  });
});
