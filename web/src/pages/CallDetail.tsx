import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { del, post } from '../api/client';
import type { InteractionDetail, Segment } from '../api/types';
import { FormErrors, formatDate, formatSeconds, label, PageTitle, useApi } from '../components/common';
import { NotesSection } from '../components/Notes';
import { type ProcessingState, ProcessingStatusView, useProcessing } from '../components/Processing';
import { usePeople } from '../components/people';

export function CallDetailPage() {
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const [version, setVersion] = useState(0);
  const { data: call, error } = useApi<InteractionDetail>(`/api/interactions/${id}/`, version);
  const { byId } = usePeople(version);
  const [actionError, setActionError] = useState<unknown>();
  const playerRef = useRef<HTMLMediaElement | null>(null);
  const initial = useMemo<ProcessingState | undefined>(
    () =>
      call && {
        status: call.processing_status,
        progress: call.processing_progress ?? null,
        error: call.processing_error,
      },
    [call],
  );
  const refresh = useCallback(() => setVersion((v) => v + 1), []);
  const processing = useProcessing(call?.id, initial, refresh);
  if (!call) return <FormErrors error={error} />;

  const name = (relationshipId: number | null | undefined) =>
    relationshipId ? (byId.get(relationshipId)?.name ?? `Person ${relationshipId}`) : 'Unknown';

  async function reprocess() {
    try {
      await post(`/api/interactions/${id}/reprocess/`);
      setActionError(undefined);
      refresh();
    } catch (err) {
      setActionError(err);
    }
  }

  async function remove() {
    if (!window.confirm('Delete this call and its recording?')) return;
    try {
      await del(`/api/interactions/${id}/`);
      navigate('/calls');
    } catch (err) {
      setActionError(err);
    }
  }

  // One line per person and signature: a live call can record the same face twice (met as
  // someone new, then named on the spot); the first sighting is the one to show.
  const recognised = call.identified_participants.filter(
    (p, i, all) =>
      all.findIndex(
        (q) =>
          q.relationship_id === p.relationship_id &&
          q.face_signature_id === p.face_signature_id &&
          q.voice_signature_id === p.voice_signature_id,
      ) === i,
  );

  const seek = (segment: Segment) => {
    const player = playerRef.current;
    if (!player) return;
    player.currentTime = segment.start;
    void player.play().catch(() => {});
  };

  return (
    <>
      <div className="page-head">
        <PageTitle>{call.title || `Untitled ${label(call.interaction_type)}`}</PageTitle>
        <div className="actions">
          {call.media && (
            <button type="button" onClick={reprocess}>
              Reprocess
            </button>
          )}
          <button type="button" className="danger" onClick={remove}>
            Delete
          </button>
        </div>
      </div>
      <p className="meta">
        {label(call.interaction_type)} · {formatDate(call.occurred_at)}
        {call.media && ` · ${formatSeconds(call.media.duration_seconds)}`}
      </p>
      <FormErrors error={actionError} />
      {processing && <ProcessingStatusView state={processing} />}
      <div className="call-layout">
        <div>
          {call.media && (
            <Player interactionId={id} contentType={call.media.content_type} playerRef={playerRef} />
          )}
          <section className="card" aria-labelledby="transcript-heading">
            <h2 id="transcript-heading">Transcript</h2>
            {call.segments.length > 0 ? (
              <ol className="segments">
                {call.segments.map((segment) => (
                  <li key={`${segment.start}-${segment.end}`}>
                    <button type="button" className="segment" onClick={() => seek(segment)}>
                      <span className="time">{formatSeconds(segment.start)}</span>
                      <span className="speaker">
                        {segment.speaker ? name(segment.speaker.relationship_id) : 'Speaker'}
                      </span>
                      <span className="text">{segment.text}</span>
                    </button>
                  </li>
                ))}
              </ol>
            ) : call.transcription ? (
              <p className="transcription">{call.transcription}</p>
            ) : (
              <p className="empty">No transcript.</p>
            )}
          </section>
        </div>
        <div>
          <section className="card" aria-labelledby="summary-heading">
            <h2 id="summary-heading">Summary</h2>
            {call.summary ? <p>{call.summary}</p> : <p className="empty">No summary.</p>}
          </section>
          <section className="card" aria-labelledby="people-heading">
            <h2 id="people-heading">Who was there</h2>
            {call.participants.length === 0 && call.identified_participants.length === 0 && (
              <p className="empty">No one recorded.</p>
            )}
            <ul className="plain-list">
              {call.participants.map((pid) => (
                <li key={`p${pid}`}>
                  <Link to={`/people/${pid}`}>{name(pid)}</Link>
                </li>
              ))}
            </ul>
            {recognised.length > 0 && (
              <>
                <h3>Recognised in the recording</h3>
                <ul className="plain-list">
                  {recognised.map((p) => (
                    <li key={`${p.relationship_id}-${p.face_signature_id}-${p.voice_signature_id}`}>
                      {p.relationship_id ? (
                        <Link to={`/people/${p.relationship_id}`}>{name(p.relationship_id)}</Link>
                      ) : (
                        'Someone new'
                      )}{' '}
                      <span className="meta">
                        {p.face_signature_id ? 'face' : 'voice'}, {Math.round(p.confidence * 100)}%
                        {p.first_seen_at !== null && `, from ${formatSeconds(p.first_seen_at)}`}
                      </span>
                    </li>
                  ))}
                </ul>
              </>
            )}
          </section>
          <NotesSection interaction={id} />
        </div>
      </div>
    </>
  );
}

/** The recording, streamed from the media route through a short-lived link (players cannot send the token). */
function Player({
  interactionId,
  contentType,
  playerRef,
}: {
  interactionId: number;
  contentType: string;
  playerRef: React.RefObject<HTMLMediaElement | null>;
}) {
  const [src, setSrc] = useState<string>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    let cancelled = false;
    post<{ url: string }>(`/api/interactions/${interactionId}/media/link/`).then(
      (link) => !cancelled && setSrc(link.url),
      (err: unknown) => !cancelled && setError(err),
    );
    return () => {
      cancelled = true;
    };
  }, [interactionId]);
  const isAudio = contentType.startsWith('audio/');
  return (
    <section className="card" aria-label="Recording">
      <FormErrors error={error} />
      {src &&
        (isAudio ? (
          // biome-ignore lint/a11y/useMediaCaption: recordings have no caption track; the transcript is beside the player
          <audio
            ref={(el) => {
              playerRef.current = el;
            }}
            src={src}
            controls
            preload="metadata"
            className="player"
          />
        ) : (
          // biome-ignore lint/a11y/useMediaCaption: recordings have no caption track; the transcript is beside the player
          <video
            ref={(el) => {
              playerRef.current = el;
            }}
            src={src}
            controls
            preload="metadata"
            className="player"
          />
        ))}
    </section>
  );
}
