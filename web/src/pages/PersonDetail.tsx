import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { del, post, query } from '../api/client';
import type { FaceSignature, Interaction, Page, RelationshipDetail, VoiceSignature } from '../api/types';
import {
  AuthImage,
  Field,
  FormErrors,
  formatDate,
  formatDay,
  label,
  PageTitle,
  StatusBadge,
  useApi,
  VoiceSample,
} from '../components/common';
import { NotesSection } from '../components/Notes';

export function PersonDetailPage() {
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const [version, setVersion] = useState(0);
  const { data: person, error } = useApi<RelationshipDetail>(`/api/relationships/${id}/`, version);
  const [deleteError, setDeleteError] = useState<unknown>();
  if (!person) return <FormErrors error={error} />;

  async function remove() {
    if (!window.confirm(`Delete ${person?.name}, with their notes, faces and voices?`)) return;
    try {
      await del(`/api/relationships/${id}/`);
      navigate('/people');
    } catch (err) {
      setDeleteError(err);
    }
  }

  return (
    <>
      <div className="page-head">
        <PageTitle>{person.name}</PageTitle>
        <div className="actions">
          <Link to={`/people/${id}/edit`} className="button">
            Edit
          </Link>
          <button type="button" className="danger" onClick={remove}>
            Delete
          </button>
        </div>
      </div>
      <FormErrors error={deleteError} />
      <section className="card" aria-label="Details">
        <dl className="details">
          <dt>Relationship</dt>
          <dd>{label(person.relationship_type)}</dd>
          {person.company && (
            <>
              <dt>Company</dt>
              <dd>{person.company}</dd>
            </>
          )}
          {person.email && (
            <>
              <dt>Email</dt>
              <dd>
                <a href={`mailto:${person.email}`}>{person.email}</a>
              </dd>
            </>
          )}
          {person.phone && (
            <>
              <dt>Phone</dt>
              <dd>
                <a href={`tel:${person.phone}`}>{person.phone}</a>
              </dd>
            </>
          )}
          <dt>Birthday</dt>
          <dd>{formatDay(person.birthday)}</dd>
          <dt>Last contact</dt>
          <dd>{formatDate(person.last_interaction_at)}</dd>
          {person.how_we_met && (
            <>
              <dt>How we met</dt>
              <dd>{person.how_we_met}</dd>
            </>
          )}
          {person.tags.length > 0 && (
            <>
              <dt>Tags</dt>
              <dd>{person.tags.join(', ')}</dd>
            </>
          )}
        </dl>
      </section>
      <NotesSection relationship={id} />
      <FacesAndVoices relationship={id} onEnrolled={() => setVersion((v) => v + 1)} />
      <PersonCalls relationship={id} />
    </>
  );
}

function FacesAndVoices({ relationship, onEnrolled }: { relationship: number; onEnrolled: () => void }) {
  const [version, setVersion] = useState(0);
  const faces = useApi<Page<FaceSignature>>(`/api/signatures/faces/${query({ relationship })}`, version);
  const voices = useApi<Page<VoiceSignature>>(`/api/signatures/voices/${query({ relationship })}`, version);
  const enrolled = () => {
    setVersion((v) => v + 1);
    onEnrolled();
  };
  return (
    <section className="card" aria-labelledby="faces-heading">
      <h2 id="faces-heading">Faces and voices</h2>
      <FormErrors error={faces.error ?? voices.error} />
      {faces.data && faces.data.results.length > 0 ? (
        <ul className="thumbs">
          {faces.data.results.map((face) => (
            <li key={face.id}>
              {face.thumbnail_url ? (
                <AuthImage src={face.thumbnail_url} alt={`Face ${face.id}`} className="thumb" />
              ) : (
                <span className="thumb-missing">Face {face.id}</span>
              )}
              <small>
                {face.sample_count} {face.sample_count === 1 ? 'sample' : 'samples'}
              </small>
            </li>
          ))}
        </ul>
      ) : (
        <p className="empty">No face known yet.</p>
      )}
      {voices.data && voices.data.results.length > 0 ? (
        <ul className="voices">
          {voices.data.results.map((voice) => (
            <li key={voice.id}>
              Voice {voice.id}: {voice.sample_count} {voice.sample_count === 1 ? 'sample' : 'samples'}, last
              heard {formatDate(voice.last_seen_at)}{' '}
              {voice.sample_url && <VoiceSample src={voice.sample_url} label={`voice ${voice.id}`} />}
            </li>
          ))}
        </ul>
      ) : (
        <p className="empty">No voice known yet.</p>
      )}
      <div className="row">
        <EnrolForm
          relationship={relationship}
          kind="faces"
          field="image"
          title="Enrol a face from a photo"
          accept="image/jpeg,image/png"
          onDone={enrolled}
        />
        <EnrolForm
          relationship={relationship}
          kind="voices"
          field="audio"
          title="Enrol a voice from a recording"
          accept="audio/*,video/webm"
          onDone={enrolled}
        />
      </div>
    </section>
  );
}

function EnrolForm(props: {
  relationship: number;
  kind: 'faces' | 'voices';
  field: 'image' | 'audio';
  title: string;
  accept: string;
  onDone: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState('');

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    if (data.get('face_index') === '') data.delete('face_index');
    setBusy(true);
    setMessage('');
    try {
      await post(`/api/relationships/${props.relationship}/${props.kind}/`, data);
      setError(undefined);
      setMessage(props.kind === 'faces' ? 'Face enrolled.' : 'Voice enrolled.');
      form.reset();
      props.onDone();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="form enrol" aria-label={props.title}>
      <h3>{props.title}</h3>
      {/* The API's reason (no face, too blurry, too little speech…) goes next to its field. */}
      <FormErrors error={error} fields={[props.field, 'face_index']} />
      <Field
        label={props.kind === 'faces' ? 'Photo (JPEG or PNG)' : 'Recording (at least 3 s of speech)'}
        name={props.field}
        error={error}
      >
        {(p) => <input {...p} type="file" accept={props.accept} required />}
      </Field>
      {props.kind === 'faces' && (
        <Field label="Which face, if the photo has several (0 = first)" name="face_index" error={error}>
          {(p) => <input {...p} type="number" min={0} />}
        </Field>
      )}
      <button type="submit" disabled={busy}>
        {busy ? 'Enrolling…' : 'Enrol'}
      </button>
      {message && (
        <p className="success" role="status">
          {message}
        </p>
      )}
    </form>
  );
}

function PersonCalls({ relationship }: { relationship: number }) {
  const { data, error } = useApi<Page<Interaction>>(
    `/api/interactions/${query({ participant: relationship })}`,
  );
  return (
    <section className="card" aria-labelledby="calls-heading">
      <h2 id="calls-heading">Calls and meetings</h2>
      <FormErrors error={error} />
      {data &&
        (data.results.length === 0 ? (
          <p className="empty">No interactions with them yet.</p>
        ) : (
          <ul className="plain-list">
            {data.results.map((i) => (
              <li key={i.id}>
                <Link to={`/calls/${i.id}`}>{i.title || label(i.interaction_type)}</Link> ·{' '}
                {formatDate(i.occurred_at)}{' '}
                {i.processing_status !== 'NONE' && <StatusBadge status={i.processing_status} />}
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}
