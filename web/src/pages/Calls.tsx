import { Link } from 'react-router';
import { INTERACTION_TYPES, type Interaction, PROCESSING_STATUSES } from '../api/types';
import { formatDate, formatSeconds, label, PageTitle, StatusBadge } from '../components/common';
import {
  ChoiceFilter,
  Filters,
  ListResults,
  TextFilter,
  useListPage,
  useListParams,
} from '../components/list';

const choices = (values: readonly string[]) => values.map((v) => ({ value: v, text: label(v) }));
const ORDERS = [
  { value: '-occurred_at', text: 'Newest first' },
  { value: 'occurred_at', text: 'Oldest first' },
];

export function CallsPage() {
  const { value, set, page } = useListParams();
  const list = useListPage<Interaction>(
    '/api/interactions/',
    page,
    {
      interaction_type: value('type'),
      processing_status: value('status'),
      occurred_after: value('after'),
      occurred_before: value('before'),
      ordering: value('ordering', '-occurred_at'),
    },
    { search: value('search') },
  );

  return (
    <>
      <div className="page-head">
        <PageTitle>Calls</PageTitle>
        <Link to="/calls/new" className="button primary">
          Upload a recording
        </Link>
      </div>
      <Filters label="Filter calls">
        <TextFilter
          label="Search"
          type="search"
          value={value('search')}
          onChange={(v) => set('search', v)}
          placeholder="Words said, titles, summaries"
        />
        <ChoiceFilter
          label="Type"
          value={value('type')}
          onChange={(v) => set('type', v)}
          choices={choices(INTERACTION_TYPES)}
          any="All types"
        />
        <ChoiceFilter
          label="Processing"
          value={value('status')}
          onChange={(v) => set('status', v)}
          choices={choices(PROCESSING_STATUSES)}
          any="Any"
        />
        <TextFilter label="From" type="date" value={value('after')} onChange={(v) => set('after', v)} />
        <TextFilter label="Until" type="date" value={value('before')} onChange={(v) => set('before', v)} />
        <ChoiceFilter
          label="Order"
          value={value('ordering', '-occurred_at')}
          onChange={(v) => set('ordering', v)}
          choices={ORDERS}
        />
      </Filters>
      <ListResults
        list={list}
        page={page}
        onPage={(p) => set('page', String(p))}
        noun={['call', 'calls']}
        empty="No calls match."
      >
        {(calls) => (
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Title</th>
                  <th scope="col">Type</th>
                  <th scope="col">When</th>
                  <th scope="col">Length</th>
                  <th scope="col">Processing</th>
                </tr>
              </thead>
              <tbody>
                {calls.map((call) => (
                  <tr key={call.id}>
                    <td>
                      <Link to={`/calls/${call.id}`}>
                        {call.title || `Untitled ${label(call.interaction_type)}`}
                      </Link>
                    </td>
                    <td>{label(call.interaction_type)}</td>
                    <td>{formatDate(call.occurred_at)}</td>
                    <td>{formatSeconds(call.media?.duration_seconds ?? call.duration_seconds)}</td>
                    <td>
                      <StatusBadge status={call.processing_status} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </ListResults>
    </>
  );
}
