import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/infra/config/config.js';
import { createNotesEngine } from '../../src/pipeline/engines/notes/index.js';

const log = pino({ level: 'silent' });
const config = (env: Record<string, string>) => loadConfig({ DATA_DIR: '/tmp/rapport-unused', ...env });

describe('notes configuration', () => {
  it('defaults: auto engine, model from OPENAI_MODEL or gpt-4o-mini, 12,000-character chunks', () => {
    expect(config({}).notes).toEqual({
      engine: 'auto',
      model: 'gpt-4o-mini',
      chunkChars: 12_000,
      maxRetries: 3,
      embeddingModel: undefined,
    });
    expect(config({ OPENAI_MODEL: 'llama3.1:8b' }).notes.model).toBe('llama3.1:8b');
    expect(config({ OPENAI_MODEL: 'llama3.1:8b', NOTES_MODEL: 'qwen2.5' }).notes.model).toBe('qwen2.5');
  });

  it('names the variable that is wrong', () => {
    expect(() => config({ NOTES_ENGINE: 'gpt' })).toThrow(ConfigError);
    expect(() => config({ NOTES_ENGINE: 'gpt' })).toThrow(/NOTES_ENGINE="gpt"/);
    expect(() => config({ NOTES_CHUNK_CHARS: '10' })).toThrow(/NOTES_CHUNK_CHARS/);
    expect(() => config({ NOTES_MAX_RETRIES: '-1' })).toThrow(/NOTES_MAX_RETRIES/);
  });

  it('auto picks the LLM when the OpenAI-compatible API is enabled, the local extractor otherwise', () => {
    expect(createNotesEngine(config({}), log).status().name).toBe('local');
    expect(createNotesEngine(config({ OPENAI_API_KEY: 'sk-x' }), log).status()).toMatchObject({
      name: 'llm',
      available: true,
    });
    // A local server needs no key.
    const ollama = config({
      USE_OPENAI_APIS: 'true',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      NOTES_MODEL: 'llama3.1:8b',
    });
    expect(createNotesEngine(ollama, log).status()).toEqual({
      name: 'llm',
      available: true,
      reason: 'Model llama3.1:8b at http://127.0.0.1:11434/v1 (OpenAI-compatible Chat Completions).',
    });
    expect(
      createNotesEngine(config({ OPENAI_API_KEY: 'sk-x', NOTES_ENGINE: 'local' }), log).status().name,
    ).toBe('local');
  });

  it('an LLM engine that cannot run says why, and does not fall back silently', async () => {
    const disabled = createNotesEngine(config({ NOTES_ENGINE: 'llm', USE_OPENAI_APIS: 'false' }), log);
    expect(disabled.status()).toMatchObject({
      name: 'llm',
      available: false,
      reason: expect.stringMatching(/USE_OPENAI_APIS=false/),
    });
    const noKey = createNotesEngine(config({ NOTES_ENGINE: 'llm', USE_OPENAI_APIS: 'true' }), log);
    expect(noKey.status()).toMatchObject({
      available: false,
      reason: expect.stringMatching(/needs OPENAI_API_KEY/),
    });
    await expect(noKey.extract({ occurredAt: new Date(), participants: [], turns: [] }, {})).rejects.toThrow(
      /needs OPENAI_API_KEY/,
    );
  });
});
