import { Link, useSearchParams } from 'react-router';
import { query } from '../api/client';
import { type Page, RELATIONSHIP_TYPES, type Relationship } from '../api/types';
import { FormErrors, formatDate, label, Pager, PageTitle, useApi, useDebounced } from '../components/common';

const SORTS = [
  { value: 'name', text: 'Name' },
  { value: '-last_interaction_at', text: 'Recently in touch' },
  { value: 'last_interaction_at', text: 'Longest without contact' },
  { value: '-created_at', text: 'Recently added' },
];
const PAGE_SIZE = 50;

export function PeoplePage() {
  const [params, setParams] = useSearchParams();
  const search = params.get('search') ?? '';
  const type = params.get('type') ?? '';
  const tag = params.get('tag') ?? '';
  const ordering = params.get('ordering') ?? 'name';
  const page = Number(params.get('page') ?? '1') || 1;
  const debouncedSearch = useDebounced(search);
  const debouncedTag = useDebounced(tag);
  const { data, error } = useApi<Page<Relationship>>(
    `/api/relationships/${query({
      search: debouncedSearch,
      relationship_type: type,
      tag: debouncedTag,
      ordering,
      page: page > 1 ? page : undefined,
      page_size: PAGE_SIZE,
    })}`,
  );

  const set = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    if (key !== 'page') next.delete('page');
    setParams(next, { replace: true });
  };

  return (
    <>
      <div className="page-head">
        <PageTitle>People</PageTitle>
        <Link to="/people/new" className="button primary">
          Add person
        </Link>
      </div>
      <search className="filters" aria-label="Filter people">
        <label>
          Search
          <input
            type="search"
            value={search}
            onChange={(e) => set('search', e.target.value)}
            placeholder="Name, email, phone"
          />
        </label>
        <label>
          Type
          <select value={type} onChange={(e) => set('type', e.target.value)}>
            <option value="">All types</option>
            {RELATIONSHIP_TYPES.map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <input value={tag} onChange={(e) => set('tag', e.target.value)} placeholder="e.g. climbing" />
        </label>
        <label>
          Sort by
          <select value={ordering} onChange={(e) => set('ordering', e.target.value)}>
            {SORTS.map((s) => (
              <option key={s.value} value={s.value}>
                {s.text}
              </option>
            ))}
          </select>
        </label>
      </search>
      <FormErrors error={error} />
      {data && (
        <>
          <p className="count" aria-live="polite">
            {data.count === 1 ? '1 person' : `${data.count} people`}
          </p>
          {data.results.length === 0 ? (
            <p className="empty">No one here yet. Add the people you want to keep in touch with.</p>
          ) : (
            <ul className="cards people-list">
              {data.results.map((person) => (
                <li key={person.id} className="card person-card">
                  <h2>
                    <Link to={`/people/${person.id}`}>{person.name}</Link>
                  </h2>
                  <p className="meta">
                    {label(person.relationship_type)}
                    {person.company && ` · ${person.company}`}
                  </p>
                  <p className="meta">Last contact: {formatDate(person.last_interaction_at)}</p>
                  {person.tags.length > 0 && (
                    <ul className="tags" aria-label="Tags">
                      {person.tags.map((t) => (
                        <li key={t}>
                          <button type="button" className="tag" onClick={() => set('tag', t)}>
                            {t}
                          </button>
                        </li>
                      ))}
                    </ul>
                  )}
                </li>
              ))}
            </ul>
          )}
          <Pager page={page} count={data.count} pageSize={PAGE_SIZE} onPage={(p) => set('page', String(p))} />
        </>
      )}
    </>
  );
}
