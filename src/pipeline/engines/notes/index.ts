import type { Logger } from 'pino';
import type { AppConfig } from '../../../infra/config/config.js';
import type { NotesEngine } from './engine.js';
import { createLlmNotesEngine } from './llm.js';
import { createLocalNotesEngine } from './local.js';

export * from './engine.js';

/**
 * NOTES_ENGINE=auto uses the LLM when the OpenAI-compatible endpoint is enabled (USE_OPENAI_APIS,
 * or an OPENAI_API_KEY), the local extractor otherwise. `llm` without an endpoint reports itself
 * unavailable (health) and fails runs with that reason rather than silently using another engine.
 */
export function createNotesEngine(config: AppConfig, log: Logger): NotesEngine {
  const choice =
    config.notes.engine === 'auto' ? (config.openai.enabled ? 'llm' : 'local') : config.notes.engine;
  if (choice === 'local') return createLocalNotesEngine();
  const isOpenAi = /^https:\/\/api\.openai\.com\//.test(`${config.openai.baseUrl}/`);
  let unavailableReason: string | undefined;
  if (!config.openai.enabled) {
    unavailableReason =
      'NOTES_ENGINE=llm, but the OpenAI-compatible API is disabled (USE_OPENAI_APIS=false).';
  } else if (isOpenAi && !config.openai.apiKey) {
    unavailableReason = 'NOTES_ENGINE=llm with OpenAI itself needs OPENAI_API_KEY.';
  }
  return createLlmNotesEngine({
    apiKey: config.openai.apiKey,
    baseUrl: config.openai.baseUrl,
    timeoutMs: config.openai.timeoutMs,
    model: config.notes.model,
    chunkChars: config.notes.chunkChars,
    maxRetries: config.notes.maxRetries,
    embeddingModel: config.notes.embeddingModel,
    log,
    unavailableReason,
  });
}
