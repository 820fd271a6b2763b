import { type FormEvent, useEffect, useReducer, useRef, useState } from 'react';
import { Link } from 'react-router';
import { getToken, patch } from '../api/client';
import { useAuth } from '../auth';
import { formatSeconds, PageTitle, VoiceSample } from '../components/common';
import { usePeople } from '../components/people';
import { WhoIsThisForm } from '../components/WhoIsThis';
import { mediaProblem } from '../live/media-problem';
import workletUrl from '../live/pcm-worklet.js?url';
import {
  applyServerMessage,
  closeReason,
  floatToPcm16,
  initialLiveCallState,
  type LiveCallState,
  liveCallUrl,
  type NewParticipant,
  type ServerMessage,
  type TranscriptLine,
} from '../live/protocol';

/** Frames sent per second: enough to meet everyone who shows up, little enough for a busy server. */
const FRAME_INTERVAL_MS = 1000;
const FRAME_MAX_WIDTH = 640;
/**
 * A connection lost during a call (1006) is opened again after each of these waits; `call_start`
 * with the call's id resumes it, which the server allows for its grace period (60 s by default).
 */
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 16_000];

const PHASE_TEXT: Record<LiveCallState['phase'], string> = {
  idle: 'Not started',
  connecting: 'Connecting…',
  connected: 'Connected, starting the call…',
  'in-call': 'On the call',
  reconnecting: 'Connection lost: reconnecting…',
  ending: 'Ending the call: finishing the transcript and notes…',
  ended: 'Call ended',
  closed: 'Disconnected',
};

type Action =
  | { kind: 'message'; message: ServerMessage }
  | { kind: 'phase'; phase: LiveCallState['phase'] }
  /** Named through the REST API once the call is over: no longer someone new. */
  | { kind: 'named'; participant: NewParticipant }
  | { kind: 'reset' };

function reducer(state: LiveCallState, action: Action): LiveCallState {
  if (action.kind === 'reset') return { ...initialLiveCallState, phase: 'connecting' };
  if (action.kind === 'phase') return { ...state, phase: action.phase };
  if (action.kind === 'named')
    return { ...state, unknown: state.unknown.filter((u) => u !== action.participant) };
  return applyServerMessage(state, action.message);
}

/** A running call's media and socket, so that stopping releases everything. */
type Session = {
  userId: number;
  title: string;
  /** The current connection: a new one replaces it after a loss; capture goes on meanwhile. */
  socket: WebSocket;
  stream: MediaStream;
  audio: AudioContext;
  timer: number;
  started: number;
  /** `call_started` came: there is a call to end (before it, ending just disconnects). */
  inCall: boolean;
  interactionId: number | null;
  /** Reconnection attempts since the connection was lost, and the timer of the next one. */
  attempts: number;
  retry: number;
};

function openSocket(userId: number): WebSocket {
  const socket = new WebSocket(liveCallUrl(window.location, userId, getToken() ?? ''));
  socket.binaryType = 'arraybuffer';
  return socket;
}

/** Stops capture and closes the socket; its handlers go first, so a closed call stays as it ended. */
function stopSession(ref: { current: Session | null }): void {
  const s = ref.current;
  ref.current = null;
  if (!s) return;
  window.clearInterval(s.timer);
  window.clearTimeout(s.retry);
  for (const track of s.stream.getTracks()) track.stop();
  void s.audio.close().catch(() => {});
  s.socket.onmessage = null;
  s.socket.onclose = null;
  s.socket.onerror = null;
  if (s.socket.readyState <= WebSocket.OPEN) s.socket.close(1000);
}

/**
 * Leaving the page (another page of the app, or the tab closing) ends the call there and then:
 * `call_end` goes before the socket closes, so the server stores it at once rather than holding it
 * for a reconnection that will not come. Capture stops with the socket.
 */
function leaveCall(ref: { current: Session | null }): void {
  const s = ref.current;
  if (s?.inCall && s.socket.readyState === WebSocket.OPEN)
    s.socket.send(JSON.stringify({ type: 'call_end' }));
  stopSession(ref);
}

/**
 * The live call: camera and microphone from the browser, JPEG frames and 16 kHz PCM to the
 * live-call WebSocket, and what the server recognises as it happens.
 */
export function LiveCallPage() {
  const { user } = useAuth();
  // Loaded again when someone new is met or created, so the "who is this?" lists are current.
  const [peopleVersion, setPeopleVersion] = useState(0);
  const { people, byId } = usePeople(peopleVersion);
  const peopleChanged = () => setPeopleVersion((v) => v + 1);
  const [state, dispatch] = useReducer(reducer, initialLiveCallState);
  const [problem, setProblem] = useState('');
  const [title, setTitle] = useState('');
  const preview = useRef<HTMLVideoElement>(null);
  const session = useRef<Session | null>(null);

  const stop = () => stopSession(session);
  useEffect(() => {
    // Closing or reloading the tab mid-call asks first (the browser's own "Leave site?").
    const confirmLeaving = (event: BeforeUnloadEvent) => {
      if (session.current?.inCall) event.preventDefault();
    };
    const leave = () => leaveCall(session);
    window.addEventListener('beforeunload', confirmLeaving);
    window.addEventListener('pagehide', leave);
    return () => {
      window.removeEventListener('beforeunload', confirmLeaving);
      window.removeEventListener('pagehide', leave);
      leave();
    };
  }, []);

  async function start(event: FormEvent) {
    event.preventDefault();
    if (!user) return;
    setProblem('');
    dispatch({ kind: 'reset' });
    let stream: MediaStream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: { channelCount: 1 } });
    } catch (error) {
      setProblem(mediaProblem(error, window.isSecureContext));
      dispatch({ kind: 'phase', phase: 'idle' });
      return;
    }
    if (preview.current) preview.current.srcObject = stream;
    // The context runs at 16 kHz: the browser resamples the microphone, the server needs no resampling.
    const audio = new AudioContext({ sampleRate: 16_000 });
    const s: Session = {
      userId: user.id,
      title,
      socket: openSocket(user.id),
      stream,
      audio,
      timer: 0,
      started: performance.now(),
      inCall: false,
      interactionId: null,
      attempts: 0,
      retry: 0,
    };
    session.current = s;
    follow(s);
  }

  /** Handles `s.socket`'s messages: starts a new call, or resumes the one whose connection was lost. */
  function follow(s: Session) {
    const socket = s.socket;

    socket.onmessage = (e) => {
      if (typeof e.data !== 'string') return;
      let message: ServerMessage;
      try {
        message = JSON.parse(e.data) as ServerMessage;
      } catch {
        return;
      }
      if (message.type === 'connection_established') {
        const start =
          s.interactionId === null
            ? { title: s.title || undefined, interaction_type: 'VIDEO_CALL' }
            : { interaction_id: s.interactionId };
        socket.send(JSON.stringify({ type: 'call_start', ...start }));
      }
      if (message.type === 'call_started') {
        s.interactionId = typeof message.interaction_id === 'number' ? message.interaction_id : null;
        s.attempts = 0;
        // Resumed: capture never stopped, and now goes to this socket.
        if (!s.inCall) {
          s.inCall = true;
          startStreaming(s).catch((error: unknown) => {
            setProblem(`The microphone could not be streamed: ${(error as Error).message}`);
            end();
          });
        }
      }
      if (message.type === 'new_participant') peopleChanged();
      dispatch({ kind: 'message', message });
      if (message.type === 'call_ended') stop();
    };
    socket.onclose = (e) => {
      const attempt = s.attempts;
      if (s.inCall && e.code === 1006 && attempt < RECONNECT_DELAYS_MS.length) {
        s.attempts = attempt + 1;
        dispatch({ kind: 'phase', phase: 'reconnecting' });
        s.retry = window.setTimeout(() => {
          if (session.current !== s) return;
          s.socket = openSocket(s.userId);
          follow(s);
        }, RECONNECT_DELAYS_MS[attempt]);
        return;
      }
      setProblem(closeReason(e.code));
      dispatch({ kind: 'phase', phase: 'closed' });
      stop();
    };
  }

  async function startStreaming(s: Session) {
    s.started = performance.now();
    const seconds = () => (performance.now() - s.started) / 1000;
    // Audio: the worklet hands over 100 ms blocks; each goes out as one binary pcm_s16le frame.
    await s.audio.audioWorklet.addModule(workletUrl);
    if (session.current !== s) return;
    const source = s.audio.createMediaStreamSource(s.stream);
    const collector = new AudioWorkletNode(s.audio, 'pcm-collector');
    collector.port.onmessage = (e: MessageEvent<Float32Array>) => {
      if (s.socket.readyState === WebSocket.OPEN) s.socket.send(floatToPcm16(e.data));
    };
    source.connect(collector);
    // Video: one JPEG a second, downscaled; the server keeps the newest when it is busy.
    const canvas = document.createElement('canvas');
    s.timer = window.setInterval(() => {
      const video = preview.current;
      if (!video || video.videoWidth === 0 || s.socket.readyState !== WebSocket.OPEN) return;
      const scale = Math.min(1, FRAME_MAX_WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
      const data = canvas.toDataURL('image/jpeg', 0.75).split(',')[1];
      s.socket.send(JSON.stringify({ type: 'video_chunk', data, timestamp: seconds() }));
    }, FRAME_INTERVAL_MS);
  }

  function end() {
    const s = session.current;
    if (s?.inCall && s.socket.readyState === WebSocket.OPEN) {
      // Capture stops now; the socket stays open for the transcript's end, the notes and call_ended.
      window.clearInterval(s.timer);
      for (const track of s.stream.getTracks()) track.stop();
      s.socket.send(JSON.stringify({ type: 'call_end' }));
      dispatch({ kind: 'phase', phase: 'ending' });
    } else {
      stop();
      dispatch({ kind: 'phase', phase: 'closed' });
    }
  }

  /**
   * During the call the server names them (`assign_participant`, answered by
   * `participant_identified`); after it, the signature is assigned as on the Unknown people page.
   */
  async function assign(participant: NewParticipant, relationshipId: number) {
    const s = session.current;
    if (s?.inCall && s.socket.readyState === WebSocket.OPEN) {
      s.socket.send(
        JSON.stringify({
          type: 'assign_participant',
          relationship_id: relationshipId,
          ...(participant.faceSignatureId !== null
            ? { face_signature_id: participant.faceSignatureId }
            : { voice_signature_id: participant.voiceSignatureId }),
        }),
      );
      return;
    }
    const [kind, id] =
      participant.faceSignatureId !== null
        ? ['faces', participant.faceSignatureId]
        : ['voices', participant.voiceSignatureId];
    await patch(`/api/signatures/${kind}/${id}/`, { relationship: relationshipId });
    dispatch({ kind: 'named', participant });
  }

  const speakerName = (line: TranscriptLine) => {
    const id = line.speaker?.relationshipId;
    if (id)
      return (
        byId.get(id)?.name ??
        state.identified.find((p) => p.relationship.id === id)?.relationship.name ??
        `Person ${id}`
      );
    return line.speaker ? `Voice ${line.speaker.voiceSignatureId}` : null;
  };

  const running = ['connecting', 'connected', 'in-call', 'reconnecting', 'ending'].includes(state.phase);
  // Capture stops when the user ends the call, before the server has finished with it.
  const capturing = running && state.phase !== 'ending';
  return (
    <>
      <PageTitle>Live call</PageTitle>
      <form className="card form" onSubmit={start}>
        <div className="row">
          <div className="field">
            <label htmlFor="live-title">Call title</label>
            <input
              id="live-title"
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              disabled={running}
            />
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={running}>
            Start the call
          </button>
          <button
            type="button"
            className="danger"
            onClick={end}
            disabled={!running || state.phase === 'ending'}
          >
            End the call
          </button>
          <span className="meta" role="status">
            {PHASE_TEXT[state.phase]}
          </span>
        </div>
        {problem && (
          <div className="error" role="alert">
            <p>{problem}</p>
          </div>
        )}
        {state.errors.length > 0 && (
          <div className="error" role="alert">
            {state.errors.map((e) => (
              <p key={e.seq}>
                {e.code}: {e.message}
              </p>
            ))}
          </div>
        )}
      </form>
      <div className="call-layout">
        <div>
          <section className="card" aria-label="Your camera">
            {!capturing && <p className="empty">The camera is off.</p>}
            <video ref={preview} autoPlay muted playsInline className="player" hidden={!capturing} />
          </section>
          <section className="card" aria-labelledby="live-transcript">
            <h2 id="live-transcript">Transcript</h2>
            {state.transcript.length === 0 ? (
              <p className="empty">Nothing said yet.</p>
            ) : (
              <ol className="segments" aria-live="polite">
                {state.transcript.map((line) => (
                  <li key={`${line.start}-${line.final}`} className={line.final ? 'final' : 'partial'}>
                    <span className="time">{formatSeconds(line.start)}</span>{' '}
                    {speakerName(line) && <span className="speaker">{speakerName(line)}</span>}{' '}
                    <span className="text">{line.text}</span>
                    {!line.final && <span className="visually-hidden"> (still listening)</span>}
                  </li>
                ))}
              </ol>
            )}
          </section>
        </div>
        <div>
          <section className="card" aria-labelledby="live-people">
            <h2 id="live-people">On the call</h2>
            {state.identified.length === 0 && <p className="empty">No one recognised yet.</p>}
            {state.identified.map((p) => (
              <article key={p.relationship.id} className="live-person">
                <h3>
                  <Link to={`/people/${p.relationship.id}`}>{p.relationship.name}</Link>{' '}
                  <span className="meta">{Math.round(p.confidence * 100)}%</span>
                </h3>
                {p.notes.length === 0 ? (
                  <p className="empty">No notes about them yet.</p>
                ) : (
                  <ul className="plain-list" aria-label={`What to remember about ${p.relationship.name}`}>
                    {p.notes.map((n) => (
                      <li key={n.id}>{n.text}</li>
                    ))}
                  </ul>
                )}
              </article>
            ))}
          </section>
          {state.unknown.length > 0 && (
            <section className="card" aria-labelledby="live-new">
              <h2 id="live-new">Someone new</h2>
              {state.unknown.map((u) => (
                <NewParticipantCard
                  key={`${u.faceSignatureId}-${u.voiceSignatureId}`}
                  participant={u}
                  people={people}
                  onAssign={(id) => assign(u, id)}
                  onPeopleChanged={peopleChanged}
                />
              ))}
            </section>
          )}
          <section className="card" aria-labelledby="live-notes">
            <h2 id="live-notes">Notes from this call</h2>
            {state.notes.length === 0 ? (
              <p className="empty">{state.phase === 'ended' ? 'No notes.' : 'No notes yet.'}</p>
            ) : (
              <ul className="plain-list">
                {state.notes.map((n) => (
                  <li key={n.id}>{n.text}</li>
                ))}
              </ul>
            )}
            {state.phase === 'ended' && (
              <>
                <h3>Summary</h3>
                <p>{state.summary || 'No summary.'}</p>
                {state.interactionId !== null && (
                  <Link to={`/calls/${state.interactionId}`}>Open the call</Link>
                )}
              </>
            )}
          </section>
        </div>
      </div>
    </>
  );
}

function NewParticipantCard({
  participant,
  people,
  onAssign,
  onPeopleChanged,
}: {
  participant: NewParticipant;
  people: Parameters<typeof WhoIsThisForm>[0]['people'];
  onAssign: (relationshipId: number) => Promise<void>;
  onPeopleChanged: () => void;
}) {
  const what =
    participant.faceSignatureId !== null
      ? `face ${participant.faceSignatureId}`
      : `voice ${participant.voiceSignatureId}`;
  return (
    <article className="live-person">
      {participant.thumbnail ? (
        <img
          className="thumb large"
          src={`data:image/jpeg;base64,${participant.thumbnail}`}
          alt={`Someone new (${what})`}
        />
      ) : (
        <p>
          <strong>{what.charAt(0).toUpperCase() + what.slice(1)}</strong> (heard, not seen){' '}
          {participant.voiceSignatureId !== null && (
            <VoiceSample
              src={`/api/signatures/voices/${participant.voiceSignatureId}/sample/`}
              label={what}
            />
          )}
        </p>
      )}
      <WhoIsThisForm
        idPrefix={`live-${what.replace(' ', '-')}`}
        title={`Who is ${what}?`}
        people={people}
        onChosen={onAssign}
        onPeopleChanged={onPeopleChanged}
      />
    </article>
  );
}
