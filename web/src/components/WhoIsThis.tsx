import { type FormEvent, useState } from 'react';
import { post } from '../api/client';
import type { Relationship } from '../api/types';
import { FormErrors } from './common';

/**
 * "Who is this?" for an unknown face or voice: someone already known, or a new person (created
 * here). `onChosen` does the naming (a PATCH on the Unknown people page, `assign_participant` on a
 * live call); after a new person is created `onPeopleChanged` lets the page load its people again,
 * so every other form lists them at once.
 */
export function WhoIsThisForm({
  idPrefix,
  title,
  people,
  onChosen,
  onPeopleChanged,
}: {
  /** Unique on the page: the inputs' ids start with it. */
  idPrefix: string;
  /** The form's accessible name, e.g. "Who is face 12?". */
  title: string;
  people: Relationship[] | undefined;
  onChosen: (relationshipId: number) => Promise<void> | void;
  onPeopleChanged: () => void;
}) {
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  // Unset until the user picks: the default follows the people list, which may still be loading.
  const [chosenMode, setMode] = useState<'existing' | 'new' | null>(null);
  const hasPeople = Boolean(people && people.length > 0);
  const mode = chosenMode ?? (hasPeople ? 'existing' : 'new');

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setBusy(true);
    try {
      let relationship = Number(form.get('relationship'));
      if (mode === 'new') {
        const created = await post<Relationship>('/api/relationships/', {
          name: String(form.get('name') ?? '').trim(),
          relationship_type: 'ACQUAINTANCE',
        });
        relationship = created.id;
        onPeopleChanged();
      }
      await onChosen(relationship);
      setError(undefined);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} className="form assign" aria-label={title}>
      <FormErrors error={error} />
      <fieldset>
        <legend>Who is this?</legend>
        <label className="check">
          <input
            type="radio"
            name="mode"
            checked={mode === 'existing'}
            onChange={() => setMode('existing')}
            disabled={!hasPeople}
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
          <label htmlFor={`${idPrefix}-person`}>Person</label>
          <select id={`${idPrefix}-person`} name="relationship" required>
            {(people ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </>
      ) : (
        <>
          <label htmlFor={`${idPrefix}-name`}>Name</label>
          <input id={`${idPrefix}-name`} name="name" required maxLength={255} />
        </>
      )}
      <button type="submit" className="primary" disabled={busy}>
        {mode === 'existing' ? 'Assign' : 'Create and assign'}
      </button>
    </form>
  );
}
