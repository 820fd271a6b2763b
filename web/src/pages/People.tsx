import { Link } from 'react-router';
import { RELATIONSHIP_TYPES, type Relationship } from '../api/types';
import { formatDate, label, PageTitle } from '../components/common';
import {
  ChoiceFilter,
  Filters,
  ListResults,
  TextFilter,
  useListPage,
  useListParams,
} from '../components/list';

const TYPES = RELATIONSHIP_TYPES.map((t) => ({ value: t, text: label(t) }));
const SORTS = [
  { value: 'name', text: 'Name' },
  { value: '-last_interaction_at', text: 'Recently in touch' },
  { value: 'last_interaction_at', text: 'Longest without contact' },
  { value: '-created_at', text: 'Recently added' },
];

export function PeoplePage() {
  const { value, set, page } = useListParams();
  const list = useListPage<Relationship>(
    '/api/relationships/',
    page,
    { relationship_type: value('type'), ordering: value('ordering', 'name') },
    { search: value('search'), tag: value('tag') },
  );

  return (
    <>
      <div className="page-head">
        <PageTitle>People</PageTitle>
        <Link to="/people/new" className="button primary">
          Add person
        </Link>
      </div>
      <Filters label="Filter people">
        <TextFilter
          label="Search"
          type="search"
          value={value('search')}
          onChange={(v) => set('search', v)}
          placeholder="Name, email, phone"
        />
        <ChoiceFilter
          label="Type"
          value={value('type')}
          onChange={(v) => set('type', v)}
          choices={TYPES}
          any="All types"
        />
        <TextFilter
          label="Tag"
          value={value('tag')}
          onChange={(v) => set('tag', v)}
          placeholder="e.g. climbing"
        />
        <ChoiceFilter
          label="Sort by"
          value={value('ordering', 'name')}
          onChange={(v) => set('ordering', v)}
          choices={SORTS}
        />
      </Filters>
      <ListResults
        list={list}
        page={page}
        onPage={(p) => set('page', String(p))}
        noun={['person', 'people']}
        empty="No one here yet. Add the people you want to keep in touch with."
      >
        {(people) => (
          <ul className="cards people-list">
            {people.map((person) => (
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
      </ListResults>
    </>
  );
}
