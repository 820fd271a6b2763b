import { useState } from 'react';
import { patch } from '../api/client';
import type { FaceSignature, Page, VoiceSignature } from '../api/types';
import { AuthImage, FormErrors, formatDate, PageTitle, useApi, VoiceSample } from '../components/common';
import { usePeople } from '../components/people';
import { WhoIsThisForm } from '../components/WhoIsThis';

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
  // Faces, voices and people load again: a person made from one face is listed in the others' forms.
  const changed = () => setVersion((v) => v + 1);
  const assign = async (kind: 'faces' | 'voices', signatureId: number, relationship: number) => {
    await patch(`/api/signatures/${kind}/${signatureId}/`, { relationship });
    changed();
  };

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
                  <WhoIsThisForm
                    idPrefix={`faces-${face.id}`}
                    title={`Who is face ${face.id}?`}
                    people={people}
                    onChosen={(relationship) => assign('faces', face.id, relationship)}
                    onPeopleChanged={changed}
                  />
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
                  {voice.sample_url && <VoiceSample src={voice.sample_url} label={`voice ${voice.id}`} />}
                  <WhoIsThisForm
                    idPrefix={`voices-${voice.id}`}
                    title={`Who is voice ${voice.id}?`}
                    people={people}
                    onChosen={(relationship) => assign('voices', voice.id, relationship)}
                    onPeopleChanged={changed}
                  />
                </li>
              ))}
            </ul>
          ))}
      </section>
    </>
  );
}
