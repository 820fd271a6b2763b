import { parentPort } from 'node:worker_threads';
import { openLiveSession } from '../engines/asr/asr.js';
import { SileroVad, sileroModelPath } from '../engines/vad/silero.js';
import type { SpeechSettings } from './engines.js';
import { type LiveSpeechEvent, LiveTranscriber, type LiveTranscriberOptions } from './live-transcriber.js';
import { embedVoice, loadSpeechEngines } from './worker.js';

/**
 * A live-speech thread (started by live-threads.ts): it holds the speech of several live calls,
 * each with its own VAD state and open utterance, which is why these are long-lived threads with
 * sessions rather than a pool of stateless tasks. Messages of one session are handled in order.
 */
export type LiveWorkerRequest =
  | {
      op: 'open';
      id: number;
      settings: SpeechSettings;
      transcriber: LiveTranscriberOptions;
    }
  | { op: 'audio'; id: number; samples: Float32Array }
  | { op: 'finish'; id: number };

export type LiveWorkerReply =
  | { id: number; events: LiveSpeechEvent[] }
  | { id: number; finished: true }
  | { id: number; error: string };

type Session = { transcriber?: LiveTranscriber; work: Promise<void>; failed?: boolean };
const sessions = new Map<number, Session>();

function reply(message: LiveWorkerReply) {
  parentPort?.postMessage(message);
}

function open(request: Extract<LiveWorkerRequest, { op: 'open' }>): LiveTranscriber {
  const engines = loadSpeechEngines(request.settings);
  const vadModel = sileroModelPath(request.settings.vadModelPath);
  if (!engines.asr) throw new Error('no speech recogniser can run here');
  if (!vadModel) throw new Error('the silero VAD model was not found');
  // The transcriber cuts long speech itself, at a quiet moment: the VAD only finds pauses.
  const vad = new SileroVad(vadModel);
  return new LiveTranscriber(
    vad.stream(),
    openLiveSession(engines.asr),
    (samples) => embedVoice(engines, samples),
    request.transcriber,
  );
}

async function handle(session: Session, request: LiveWorkerRequest) {
  switch (request.op) {
    case 'open':
      session.transcriber = open(request);
      return;
    case 'audio': {
      const events = await session.transcriber?.push(request.samples);
      if (events?.length) reply({ id: request.id, events });
      return;
    }
    case 'finish': {
      const events = (await session.transcriber?.flush()) ?? [];
      session.transcriber?.close();
      if (events.length) reply({ id: request.id, events });
      sessions.delete(request.id);
      reply({ id: request.id, finished: true });
      return;
    }
  }
}

parentPort?.on('message', (request: LiveWorkerRequest) => {
  let session = sessions.get(request.id);
  if (!session) {
    if (request.op !== 'open') return; // a session that already failed
    session = { work: Promise.resolve() };
    sessions.set(request.id, session);
  }
  const current = session;
  current.work = current.work
    .then(() => (current.failed ? undefined : handle(current, request)))
    .catch((error: unknown) => {
      current.failed = true;
      current.transcriber?.close();
      sessions.delete(request.id);
      reply({ id: request.id, error: error instanceof Error ? error.message : String(error) });
    });
});
