import { type FormEvent, useMemo, useState } from 'react';
import { Link } from 'react-router';
import { get, post, uploadWithProgress } from '../api/client';
import { INTERACTION_TYPES, type Interaction, type InteractionDetail } from '../api/types';
import { Field, FormErrors, label, PageTitle, ProgressBar } from '../components/common';
import { type ProcessingState, ProcessingStatusView, useProcessing } from '../components/Processing';
import { usePeople } from '../components/people';

/** `YYYY-MM-DDTHH:MM` in local time, what a datetime-local input shows. */
function localNow(): string {
  const now = new Date();
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

export function NewCallPage() {
  const { people } = usePeople();
  const [error, setError] = useState<unknown>();
  const [call, setCall] = useState<Interaction | undefined>();
  const [uploaded, setUploaded] = useState<number | undefined>();
  const [afterUpload, setAfterUpload] = useState<InteractionDetail | undefined>();
  const initial = useMemo<ProcessingState | undefined>(
    () =>
      afterUpload && {
        status: afterUpload.processing_status,
        progress: afterUpload.processing_progress ?? null,
        error: afterUpload.processing_error,
      },
    [afterUpload],
  );
  const processing = useProcessing(call?.id, initial);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const file = form.get('file');
    if (!(file instanceof File) || file.size === 0) {
      setError(new Error('Choose a recording to upload.'));
      return;
    }
    setError(undefined);
    try {
      const occurred = String(form.get('occurred_at') ?? '');
      const created = await post<Interaction>('/api/interactions/', {
        title: form.get('title'),
        interaction_type: form.get('interaction_type'),
        occurred_at: occurred ? new Date(occurred).toISOString() : undefined,
        participants: form.getAll('participants').map(Number),
      });
      setCall(created);
      setUploaded(0);
      const upload = new FormData();
      upload.append('file', file, file.name);
      await uploadWithProgress(`/api/interactions/${created.id}/media/`, upload, setUploaded);
      // The detail as it is now: processing may already have moved on while the upload finished.
      setAfterUpload(await get<InteractionDetail>(`/api/interactions/${created.id}/`));
    } catch (err) {
      setError(err);
    }
  }

  const busy = call !== undefined && !error;
  return (
    <>
      <PageTitle>Upload a recording</PageTitle>
      <form onSubmit={submit} className="card form">
        <FormErrors error={error} fields={['title', 'interaction_type', 'occurred_at']} />
        <Field label="Title" name="title" error={error}>
          {(p) => <input {...p} maxLength={255} placeholder="Catch-up with Ada" disabled={busy} />}
        </Field>
        <div className="row">
          <Field label="Type" name="interaction_type" error={error}>
            {(p) => (
              <select {...p} defaultValue="VIDEO_CALL" disabled={busy}>
                {INTERACTION_TYPES.map((t) => (
                  <option key={t} value={t}>
                    {label(t)}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="When" name="occurred_at" error={error}>
            {(p) => <input {...p} type="datetime-local" defaultValue={localNow()} disabled={busy} />}
          </Field>
        </div>
        {people && people.length > 0 && (
          <fieldset disabled={busy}>
            <legend>Who was there</legend>
            <div className="checks">
              {people.map((person) => (
                <label key={person.id} className="check">
                  <input type="checkbox" name="participants" value={person.id} /> {person.name}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <div className="field">
          <label htmlFor="recording">Recording (video or audio)</label>
          <input id="recording" name="file" type="file" accept="video/*,audio/*" required disabled={busy} />
        </div>
        <button type="submit" className="primary" disabled={busy}>
          Upload
        </button>
      </form>
      {uploaded !== undefined && (
        <section className="card" aria-label="Progress">
          <ProgressBar label="Upload" value={uploaded * 100} />
          {processing && <ProcessingStatusView state={processing} />}
          {call && afterUpload && (
            <p>
              <Link to={`/calls/${call.id}`}>Open the call</Link>
            </p>
          )}
        </section>
      )}
    </>
  );
}
