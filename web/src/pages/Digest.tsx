import { Link } from 'react-router';
import type { Digest } from '../api/types';
import { FormErrors, formatDate, formatDay, label, PageTitle, useApi } from '../components/common';

export function DigestPage() {
  const { data, error } = useApi<Digest>('/api/digest/');
  return (
    <>
      <PageTitle>Digest</PageTitle>
      <FormErrors error={error} />
      {data && (
        <div className="two-columns">
          <section className="card" aria-labelledby="birthdays-heading">
            <h2 id="birthdays-heading">Upcoming birthdays</h2>
            {data.birthdays.length === 0 ? (
              <p className="empty">No birthdays coming up.</p>
            ) : (
              <ul className="plain-list">
                {data.birthdays.map((b) => (
                  <li key={b.relationship.id}>
                    <Link to={`/people/${b.relationship.id}`}>{b.relationship.name}</Link>:{' '}
                    {formatDay(b.date)}
                    {b.days_until === 0
                      ? ' (today)'
                      : b.days_until === 1
                        ? ' (tomorrow)'
                        : ` (in ${b.days_until} days)`}
                    {b.turning !== null && `, turning ${b.turning}`}
                  </li>
                ))}
              </ul>
            )}
          </section>
          <section className="card" aria-labelledby="due-heading">
            <h2 id="due-heading">Due to get in touch</h2>
            {data.due_to_contact.length === 0 ? (
              <p className="empty">You are in touch with everyone.</p>
            ) : (
              <ul className="plain-list">
                {data.due_to_contact.map((d) => (
                  <li key={d.relationship.id}>
                    <Link to={`/people/${d.relationship.id}`}>{d.relationship.name}</Link> (
                    {label(d.relationship.relationship_type)}): last contact{' '}
                    {formatDate(d.last_interaction_at)}, {d.days_overdue}{' '}
                    {d.days_overdue === 1 ? 'day' : 'days'} overdue
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
      )}
    </>
  );
}
