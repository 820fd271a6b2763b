import OpenAI from 'openai';
import { zodResponseFormat } from 'openai/helpers/zod';
import type { Logger } from 'pino';
import { z } from 'zod';
import {
  type ExtractedNote,
  NOTE_CATEGORIES,
  type NotesEngine,
  NotesEngineError,
  type NotesInput,
  type NotesResult,
} from './engine.js';
import { contentWords, DUPLICATE_SIMILARITY, textSimilarity } from './text-similarity.js';

/** What the model must answer; its JSON schema (strict structured output) is generated from this. */
export const llmAnswer = z.object({
  summary: z
    .string()
    .describe('A few sentences summarising the conversation, from the user’s point of view.'),
  notes: z.array(
    z.object({
      person_id: z.number().int().describe('The id of the participant the note is about.'),
      text: z.string().min(1).max(5000).describe('The note, one self-contained sentence.'),
      category: z.enum(NOTE_CATEGORIES),
      importance: z.number().min(0).max(1).describe('0 = trivia, 1 = must not be forgotten.'),
    }),
  ),
});
export type LlmAnswer = z.infer<typeof llmAnswer>;

const SYSTEM_PROMPT = `You help the user of a personal relationship manager remember what matters about the people they talk to.
You get a conversation transcript, the date it took place and the participants (each with an id). Lines by speakers who are not participants are the user.
Return JSON with:
- "notes": facts worth remembering about each participant, attributed to that participant by "person_id": life events, family, health, work, preferences, plans with dates, and promises made between them and the user (category TASK, e.g. "Promised to send her the contract by Friday (2026-03-06)").
  Write each note as a short, self-contained sentence in the third person or from the user's point of view. Resolve relative dates ("next Friday") against the conversation date and give the date.
  category is one of FACT, PREFERENCE, EVENT, TASK, FAMILY, WORK, HEALTH, OTHER; importance is between 0 and 1.
  Do not write notes about the user themself, small talk, greetings or anything not said in the transcript. One note per fact; no duplicates.
- "summary": two to four sentences summarising the conversation.`;

const MERGE_PROMPT = `You are given summaries of consecutive parts of one conversation. Merge them into one summary of two to four sentences. Return JSON with "summary" and an empty "notes" list.`;

type Chunk = { text: string };

/** Transcript lines, "Name [id 12]: text", split into pieces of at most `maxChars`. */
export function transcriptChunks(input: NotesInput, maxChars: number): Chunk[] {
  const lines: string[] = [];
  for (const turn of input.turns) {
    const who = turn.speaker
      ? `${turn.speaker.name} [id ${turn.speaker.relationshipId}]`
      : (turn.speakerName ?? 'Unknown speaker');
    const text = turn.text.replace(/\s+/g, ' ').trim();
    if (!text) continue;
    const line = turn.speaker || turn.speakerName ? `${who}: ${text}` : text;
    // A single line longer than a chunk is cut at sentence ends where possible.
    if (line.length <= maxChars) lines.push(line);
    else {
      for (let i = 0; i < line.length; i += maxChars) lines.push(line.slice(i, i + maxChars));
    }
  }
  const chunks: Chunk[] = [];
  let current = '';
  for (const line of lines) {
    if (current && current.length + line.length + 1 > maxChars) {
      chunks.push({ text: current });
      current = '';
    }
    current = current ? `${current}\n${line}` : line;
  }
  if (current) chunks.push({ text: current });
  return chunks;
}

function userMessage(input: NotesInput, chunk: Chunk, index: number, total: number): string {
  const participants = input.participants.map((p) => `- id ${p.relationshipId}: ${p.name}`).join('\n');
  const part = total > 1 ? `\nThis is part ${index + 1} of ${total} of the transcript.` : '';
  return `Conversation date: ${input.occurredAt.toISOString().slice(0, 10)}
Participants:
${participants || '- (none known)'}${part}

Transcript:
${chunk.text}`;
}

export type LlmNotesEngineOptions = {
  apiKey: string | undefined;
  baseUrl: string;
  timeoutMs: number;
  model: string;
  chunkChars: number;
  maxRetries: number;
  embeddingModel: string | undefined;
  log: Logger;
  /** Set when the engine was asked for but cannot run (no key for OpenAI itself). */
  unavailableReason?: string | undefined;
};

/**
 * The LLM notes engine: any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama,
 * llama.cpp server, vLLM…) with strict JSON-schema structured output. The `openai` client retries
 * timeouts, 429 (honouring Retry-After) and 5xx with exponential backoff; an answer that is not
 * valid JSON of the schema is asked again once, then the run fails with a readable reason.
 */
export function createLlmNotesEngine(options: LlmNotesEngineOptions): NotesEngine {
  const log = options.log.child({ engine: 'notes-llm' });
  const client = new OpenAI({
    // Local servers (Ollama, llama.cpp) need no key, but the client insists on one.
    apiKey: options.apiKey ?? 'no-key',
    baseURL: options.baseUrl,
    timeout: options.timeoutMs,
    maxRetries: options.maxRetries,
    logger: log,
    logLevel: 'warn',
  });
  const responseFormat = zodResponseFormat(llmAnswer, 'conversation_notes');

  async function ask(system: string, user: string, signal: AbortSignal | undefined): Promise<LlmAnswer> {
    let problem = '';
    for (let attempt = 1; attempt <= 2; attempt++) {
      let content: string | null | undefined;
      try {
        const completion = await client.chat.completions.create(
          {
            model: options.model,
            temperature: 0,
            messages: [
              { role: 'system', content: system },
              { role: 'user', content: user },
            ],
            response_format: responseFormat,
          },
          { signal },
        );
        content = completion.choices[0]?.message?.content;
      } catch (error) {
        if (error instanceof OpenAI.APIError && error.status !== undefined) {
          const retriable =
            error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
          const message = `The language model endpoint answered ${error.status}: ${error.message}`;
          // Retriable errors were already retried by the client: let the job queue try again later.
          if (retriable) throw new Error(message);
          throw new NotesEngineError(message);
        }
        throw error;
      }
      if (!content) problem = 'an empty answer';
      else {
        let json: unknown;
        try {
          json = JSON.parse(content);
        } catch {
          problem = 'an answer that is not JSON';
        }
        if (json !== undefined) {
          const parsed = llmAnswer.safeParse(json);
          if (parsed.success) return parsed.data;
          problem = `an answer that does not match the schema (${parsed.error.issues
            .slice(0, 3)
            .map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`)
            .join('; ')})`;
        }
      }
      log.warn({ attempt, problem }, 'the language model gave an unusable answer');
    }
    throw new NotesEngineError(`The language model (${options.model}) gave ${problem}, twice.`);
  }

  return {
    name: 'llm',
    status() {
      if (options.unavailableReason)
        return { name: 'llm', available: false, reason: options.unavailableReason };
      return {
        name: 'llm',
        available: true,
        reason: `Model ${options.model} at ${options.baseUrl} (OpenAI-compatible Chat Completions).`,
      };
    },
    async extract(input, { signal, onProgress }): Promise<NotesResult> {
      if (options.unavailableReason) throw new NotesEngineError(options.unavailableReason);
      const known = new Set(input.participants.map((p) => p.relationshipId));
      const chunks = transcriptChunks(input, options.chunkChars);
      if (chunks.length === 0 || input.participants.length === 0) {
        return { summary: '', notes: [] };
      }
      const summaries: string[] = [];
      const notes: (ExtractedNote & { words: Set<string> })[] = [];
      for (const [index, chunk] of chunks.entries()) {
        const answer = await ask(SYSTEM_PROMPT, userMessage(input, chunk, index, chunks.length), signal);
        if (answer.summary.trim()) summaries.push(answer.summary.trim());
        for (const note of answer.notes) {
          // A note about someone who is not a participant (or the user) has nowhere to go.
          if (!known.has(note.person_id)) continue;
          const text = note.text.trim();
          const words = contentWords(text);
          const same = notes.find(
            (n) =>
              n.relationshipId === note.person_id && textSimilarity(n.words, words) >= DUPLICATE_SIMILARITY,
          );
          if (same) {
            same.importance = Math.max(same.importance, note.importance);
            continue;
          }
          notes.push({
            relationshipId: note.person_id,
            text,
            category: note.category,
            importance: Math.round(note.importance * 100) / 100,
            words,
          });
        }
        onProgress?.((index + 1) / (chunks.length + (chunks.length > 1 ? 1 : 0)));
      }
      let summary = summaries.join(' ');
      if (summaries.length > 1) {
        summary = (
          await ask(MERGE_PROMPT, summaries.map((s, i) => `Part ${i + 1}: ${s}`).join('\n\n'), signal)
        ).summary;
      }
      onProgress?.(1);
      return { summary: summary.slice(0, 20_000), notes: notes.map(({ words: _w, ...n }) => n) };
    },
    async embed(texts, signal) {
      if (!options.embeddingModel || texts.length === 0) return undefined;
      try {
        const response = await client.embeddings.create(
          { model: options.embeddingModel, input: texts },
          { signal },
        );
        return [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
      } catch (error) {
        // Embeddings only refine duplicate detection: without them, text similarity decides.
        log.warn({ err: error }, 'embeddings unavailable; duplicates are found by text similarity only');
        return undefined;
      }
    },
  };
}
