import { type FormEvent, useState } from 'react';
import { patch, post, query } from '../api/client';
import { useServerEvents } from '../api/events';
import { NOTE_CATEGORIES, type Note, type Page } from '../api/types';
import { Field, FormErrors, label, useApi } from './common';

/** A person's or a call's notes: most important first; edit, archive, restore, and add a manual one. */
export function NotesSection({ relationship, interaction }: { relationship?: number; interaction?: number }) {
  const [showArchived, setShowArchived] = useState(false);
  const status = showArchived ? 'ARCHIVED' : 'ACTIVE';
  const { data, error, reload } = useApi<Page<Note>>(
    `/api/notes/${query({ relationship, interaction, status, page_size: 200 })}`,
  );
  // Notes the pipeline writes while the page is open.
  useServerEvents((event) => {
    if (event.type === 'note.created') reload();
  });

  return (
    <section aria-labelledby="notes-heading" className="card">
      <div className="section-head">
        <h2 id="notes-heading">{showArchived ? 'Archived notes' : 'Notes'}</h2>
        <button type="button" onClick={() => setShowArchived(!showArchived)}>
          {showArchived ? 'Show active notes' : 'Show archived notes'}
        </button>
      </div>
      <FormErrors error={error} />
      {data &&
        (data.results.length === 0 ? (
          <p className="empty">{showArchived ? 'No archived notes.' : 'No notes yet.'}</p>
        ) : (
          <ul className="notes">
            {data.results.map((note) => (
              <NoteItem key={note.id} note={note} onChanged={reload} />
            ))}
          </ul>
        ))}
      {relationship !== undefined && !showArchived && (
        <AddNoteForm relationship={relationship} interaction={interaction} onAdded={reload} />
      )}
    </section>
  );
}

function Importance({ value }: { value: number }) {
  const level = value >= 0.75 ? 'high' : value >= 0.4 ? 'medium' : 'low';
  return (
    <span className={`importance importance-${level}`} title={`Importance ${value.toFixed(2)}`}>
      {level === 'high' ? 'Important' : level === 'medium' ? 'Useful' : 'Minor'} ({Math.round(value * 100)}%)
    </span>
  );
}

function NoteItem({ note, onChanged }: { note: Note; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<unknown>();

  async function setStatus(status: Note['status']) {
    try {
      await patch(`/api/notes/${note.id}/`, { status });
      onChanged();
    } catch (err) {
      setError(err);
    }
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      await patch(`/api/notes/${note.id}/`, {
        text: form.get('text'),
        category: form.get('category'),
        importance: Number(form.get('importance')),
      });
      setEditing(false);
      onChanged();
    } catch (err) {
      setError(err);
    }
  }

  if (editing) {
    return (
      <li className="note">
        <form onSubmit={save} className="form" aria-label="Edit note">
          <FormErrors error={error} fields={['text', 'category', 'importance']} />
          <NoteFields note={note} error={error} />
          <div className="actions">
            <button type="submit" className="primary">
              Save note
            </button>
            <button type="button" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      </li>
    );
  }
  return (
    <li className="note">
      <p className="note-text">{note.text}</p>
      <p className="meta">
        <span className="badge">{label(note.category)}</span> <Importance value={note.importance} />{' '}
        {note.source === 'AI' ? 'From a call' : 'Written by you'}
      </p>
      <FormErrors error={error} />
      <div className="actions">
        <button type="button" onClick={() => setEditing(true)}>
          Edit
        </button>
        {note.status === 'ACTIVE' ? (
          <button type="button" onClick={() => setStatus('ARCHIVED')}>
            Archive
          </button>
        ) : (
          <button type="button" onClick={() => setStatus('ACTIVE')}>
            Restore
          </button>
        )}
      </div>
    </li>
  );
}

function NoteFields({ note, error }: { note?: Note; error: unknown }) {
  return (
    <>
      <Field label="Note" name="text" error={error}>
        {(p) => <textarea {...p} rows={2} defaultValue={note?.text} required maxLength={5000} />}
      </Field>
      <div className="row">
        <Field label="Category" name="category" error={error}>
          {(p) => (
            <select {...p} defaultValue={note?.category ?? 'OTHER'}>
              {NOTE_CATEGORIES.map((c) => (
                <option key={c} value={c}>
                  {label(c)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Importance (0–1)" name="importance" error={error}>
          {(p) => (
            <input {...p} type="number" min={0} max={1} step={0.05} defaultValue={note?.importance ?? 0.5} />
          )}
        </Field>
      </div>
    </>
  );
}

function AddNoteForm({
  relationship,
  interaction,
  onAdded,
}: {
  relationship: number;
  interaction?: number;
  onAdded: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [formKey, setFormKey] = useState(0);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    try {
      await post('/api/notes/', {
        relationship,
        ...(interaction !== undefined && { interaction }),
        text: form.get('text'),
        category: form.get('category'),
        importance: Number(form.get('importance')),
      });
      setError(undefined);
      setFormKey((k) => k + 1);
      onAdded();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <form onSubmit={submit} className="form add-note" key={formKey} aria-label="Add a note">
      <h3>Add a note</h3>
      <FormErrors error={error} fields={['text', 'category', 'importance']} />
      <NoteFields error={error} />
      <button type="submit" className="primary">
        Add note
      </button>
    </form>
  );
}
