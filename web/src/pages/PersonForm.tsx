import { type FormEvent, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { patch, post } from '../api/client';
import { RELATIONSHIP_TYPES, type RelationshipDetail } from '../api/types';
import { Field, FormErrors, label, PageTitle, useApi } from '../components/common';

const FIELDS = [
  'name',
  'relationship_type',
  'email',
  'phone',
  'company',
  'birthday',
  'how_we_met',
  'tags',
  'contact_interval_days',
];

export function PersonFormPage() {
  const { id } = useParams();
  const navigate = useNavigate();
  const { data: person, error: loadError } = useApi<RelationshipDetail>(
    id ? `/api/relationships/${id}/` : null,
  );
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (id && !person) return <FormErrors error={loadError} />;

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    const interval = text('contact_interval_days');
    const body = {
      name: text('name'),
      relationship_type: text('relationship_type'),
      email: text('email'),
      phone: text('phone'),
      company: text('company'),
      birthday: text('birthday') || null,
      how_we_met: text('how_we_met'),
      tags: text('tags')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      contact_interval_days: interval ? Number(interval) : null,
    };
    setBusy(true);
    try {
      const saved = id
        ? await patch<RelationshipDetail>(`/api/relationships/${id}/`, body)
        : await post<RelationshipDetail>('/api/relationships/', body);
      navigate(`/people/${saved.id}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <>
      <PageTitle>{id ? `Edit ${person?.name ?? ''}` : 'Add a person'}</PageTitle>
      <form onSubmit={submit} className="card form" key={person?.id ?? 'new'}>
        <FormErrors error={error} fields={FIELDS} />
        <Field label="Name" name="name" error={error}>
          {(p) => <input {...p} defaultValue={person?.name} required maxLength={255} />}
        </Field>
        <Field label="Relationship" name="relationship_type" error={error}>
          {(p) => (
            <select {...p} defaultValue={person?.relationship_type ?? 'FRIEND'}>
              {RELATIONSHIP_TYPES.map((t) => (
                <option key={t} value={t}>
                  {label(t)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="row">
          <Field label="Email" name="email" error={error}>
            {(p) => <input {...p} type="email" defaultValue={person?.email} />}
          </Field>
          <Field label="Phone" name="phone" error={error}>
            {(p) => <input {...p} type="tel" defaultValue={person?.phone} />}
          </Field>
        </div>
        <div className="row">
          <Field label="Company" name="company" error={error}>
            {(p) => <input {...p} defaultValue={person?.company} />}
          </Field>
          <Field label="Birthday" name="birthday" error={error}>
            {(p) => <input {...p} type="date" defaultValue={person?.birthday ?? ''} />}
          </Field>
        </div>
        <Field label="How we met" name="how_we_met" error={error}>
          {(p) => <textarea {...p} rows={3} defaultValue={person?.how_we_met} />}
        </Field>
        <Field label="Tags" name="tags" error={error} hint="Separated by commas">
          {(p) => <input {...p} defaultValue={person?.tags.join(', ')} />}
        </Field>
        <Field
          label="Keep in touch every (days)"
          name="contact_interval_days"
          error={error}
          hint="Leave empty for the default"
        >
          {(p) => (
            <input
              {...p}
              type="number"
              min={1}
              max={3650}
              defaultValue={person?.contact_interval_days ?? ''}
            />
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
          <Link to={id ? `/people/${id}` : '/people'} className="button">
            Cancel
          </Link>
        </div>
      </form>
    </>
  );
}
