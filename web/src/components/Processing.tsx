import { useEffect, useState } from 'react';
import { get } from '../api/client';
import { useServerEvents } from '../api/events';
import type { InteractionDetail, ProcessingProgress, ProcessingStatus } from '../api/types';
import { label, ProgressBar, StatusBadge } from './common';

export type ProcessingState = {
  status: ProcessingStatus;
  progress: ProcessingProgress | null;
  error: string;
};

/**
 * Follows one interaction's processing: the events stream moves the bar as the pipeline reports;
 * the detail is read again when a run ends (and every few seconds while one is running, in case
 * an event was missed during a reconnect).
 */
export function useProcessing(
  interactionId: number | undefined,
  initial: ProcessingState | undefined,
  onFinished?: () => void,
): ProcessingState | undefined {
  const [state, setState] = useState<ProcessingState | undefined>(initial);
  useEffect(() => setState(initial), [initial]);

  useServerEvents((event) => {
    if (event.type !== 'interaction.processing' || event.interaction_id !== interactionId) return;
    const e = event as { status: ProcessingStatus; progress: ProcessingProgress; error?: string };
    setState({ status: e.status, progress: e.progress, error: e.error ?? '' });
    if (e.status === 'COMPLETED' || e.status === 'FAILED') onFinished?.();
  });

  const running = state?.status === 'PENDING' || state?.status === 'PROCESSING';
  useEffect(() => {
    if (!running || interactionId === undefined) return;
    const timer = setInterval(async () => {
      try {
        const detail = await get<InteractionDetail>(`/api/interactions/${interactionId}/`);
        setState((current) =>
          current?.status === detail.processing_status
            ? current
            : {
                status: detail.processing_status,
                progress: detail.processing_progress ?? null,
                error: detail.processing_error,
              },
        );
        if (detail.processing_status === 'COMPLETED' || detail.processing_status === 'FAILED') onFinished?.();
      } catch {
        // The next tick tries again; a 401 has already sent the user to the login page.
      }
    }, 5000);
    return () => clearInterval(timer);
  }, [running, interactionId, onFinished]);

  return state;
}

export function ProcessingStatusView({ state }: { state: ProcessingState }) {
  const { status, progress, error } = state;
  if (status === 'NONE') return null;
  const percent = status === 'COMPLETED' ? 100 : (progress?.percent ?? 0);
  const stage = status === 'PENDING' ? 'waiting in the queue' : progress?.stage ? label(progress.stage) : '';
  return (
    <div className="processing" aria-live="polite">
      <p>
        Processing: <StatusBadge status={status} />
      </p>
      {(status === 'PENDING' || status === 'PROCESSING' || status === 'COMPLETED') && (
        <ProgressBar
          label="Processing"
          value={percent}
          text={status === 'COMPLETED' ? 'Done' : `${stage} ${Math.round(percent)}%`}
        />
      )}
      {status === 'FAILED' && (
        <div className="error" role="alert">
          <p>Processing failed: {error || 'no reason was recorded.'}</p>
        </div>
      )}
    </div>
  );
}
