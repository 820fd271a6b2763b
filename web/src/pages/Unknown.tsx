import { type FormEvent, useState } from 'react';
import { patch, post } from '../api/client';
import type { FaceSignature, Page, Relationship, VoiceSignature } from '../api/types';
import { AuthImage, FormErrors, formatDate, PageTitle, useApi } from '../components/common';
import { usePeople } from '../components/people';

/**
 * The people the pipeline met but does not know: assign each face or voice to someone (assigning
 * two to the same person merges them), or make a new person from it.
 */
export function UnknownPage() {
  const [version, setVersion] = useState(0);
  const faces = useApi<Page<FaceSignature>>('/api/signatures/faces/?unassigned=true&page_size=200', version);
  const voices = useApi<Page<VoiceSignature>>(
    '/api/signatures/voices/?unassigned=true&page_size=200',
    version,
  );
  const { people } = usePeople(version);
  const changed = () => setVersion((v) => v + 1);

  return (
    <>
      <PageTitle>Unknown people</PageTitle>
      <p className="lead">
        Faces and voices from your calls that do not belong to anyone yet. Say who they are, and they will be
        recognised next time.
      </p>
      <section aria-labelledby="faces-heading">
        <h2 id="faces-heading">Faces</h2>
        <FormErrors error={faces.error} />
        {faces.data &&
          (faces.data.results.length === 0 ? (
            <p className="empty">No unknown faces.</p>
          ) : (
            <ul className="unknown-grid">
              {faces.data.results.map((face) => (
                <li key={face.id} className="card">
                  {face.thumbnail_url ? (
                    <AuthImage
                      src={face.thumbnail_url}
                      alt={`Unknown face ${face.id}`}
                      className="thumb large"
                    />
                  ) : (
                    <span className="thumb-missing large">Face {face.id}</span>
                  )}
                  <p className="meta">
                    Seen {face.sample_count} {face.sample_count === 1 ? 'time' : 'times'}, last{' '}
                    {formatDate(face.last_seen_at)}
                  </p>
                  <AssignForm kind="faces" signatureId={face.id} people={people} onDone={changed} />
                </li>
              ))}
            </ul>
          ))}
      </section>
      <section aria-labelledby="voices-heading">
        <h2 id="voices-heading">Voices</h2>
        <FormErrors error={voices.error} />
        {voices.data &&
          (voices.data.results.length === 0 ? (
            <p className="empty">No unknown voices.</p>
          ) : (
            <ul className="unknown-grid">
              {voices.data.results.map((voice) => (
                <li key={voice.id} className="card">
                  <p>
                    <strong>Voice {voice.id}</strong>
                  </p>
                  <p className="meta">
                    Heard {voice.sample_count} {voice.sample_count === 1 ? 'time' : 'times'}, last{' '}
                    {formatDate(voice.last_seen_at)}
                  </p>
                  <AssignForm kind="voices" signatureId={voice.id} people={people} onDone={changed} />
                </li>
              ))}
            </ul>
          ))}
      </section>
    </>
  );
}

function AssignForm({
  kind,
  signatureId,
  people,
  onDone,
}: {
  kind: 'faces' | 'voices';
  signatureId: number;
  people: Relationship[] | undefined;
  onDone: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [mode, setMode] = useState<'existing' | 'new'>(people && people.length > 0 ? 'existing' : 'new');

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      let relationship = Number(form.get('relationship'));
      if (mode === 'new') {
        const created = await post<Relationship>('/api/relationships/', {
          name: String(form.get('name') ?? '').trim(),
          relationship_type: 'ACQUAINTANCE',
        });
        relationship = created.id;
      }
      await patch(`/api/signatures/${kind}/${signatureId}/`, { relationship });
      onDone();
    } catch (err) {
      setError(err);
    }
  }

  const prefix = `${kind}-${signatureId}`;
  return (
    <form
      onSubmit={submit}
      className="form assign"
      aria-label={`Who is ${kind === 'faces' ? 'face' : 'voice'} ${signatureId}?`}
    >
      <FormErrors error={error} />
      <fieldset>
        <legend>Who is this?</legend>
        <label className="check">
          <input
            type="radio"
            name="mode"
            checked={mode === 'existing'}
            onChange={() => setMode('existing')}
            disabled={!people || people.length === 0}
          />{' '}
          Someone I know
        </label>
        <label className="check">
          <input type="radio" name="mode" checked={mode === 'new'} onChange={() => setMode('new')} /> A new
          person
        </label>
      </fieldset>
      {mode === 'existing' ? (
        <>
          <label htmlFor={`${prefix}-person`}>Person</label>
          <select id={`${prefix}-person`} name="relationship" required>
            {(people ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </>
      ) : (
        <>
          <label htmlFor={`${prefix}-name`}>Name</label>
          <input id={`${prefix}-name`} name="name" required maxLength={255} />
        </>
      )}
      <button type="submit" className="primary">
        {mode === 'existing' ? 'Assign' : 'Create and assign'}
      </button>
    </form>
  );
}
