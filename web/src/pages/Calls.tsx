import { Link, useSearchParams } from 'react-router';
import { query } from '../api/client';
import { INTERACTION_TYPES, type Interaction, type Page, PROCESSING_STATUSES } from '../api/types';
import {
  FormErrors,
  formatDate,
  formatSeconds,
  label,
  Pager,
  PageTitle,
  StatusBadge,
  useApi,
  useDebounced,
} from '../components/common';

const PAGE_SIZE = 50;

export function CallsPage() {
  const [params, setParams] = useSearchParams();
  const value = (key: string) => params.get(key) ?? '';
  const page = Number(params.get('page') ?? '1') || 1;
  const search = useDebounced(value('search'));
  const { data, error } = useApi<Page<Interaction>>(
    `/api/interactions/${query({
      search,
      interaction_type: value('type'),
      processing_status: value('status'),
      occurred_after: value('after'),
      occurred_before: value('before'),
      ordering: value('ordering') || '-occurred_at',
      page: page > 1 ? page : undefined,
      page_size: PAGE_SIZE,
    })}`,
  );
  const set = (key: string, v: string) => {
    const next = new URLSearchParams(params);
    if (v) next.set(key, v);
    else next.delete(key);
    if (key !== 'page') next.delete('page');
    setParams(next, { replace: true });
  };

  return (
    <>
      <div className="page-head">
        <PageTitle>Calls</PageTitle>
        <Link to="/calls/new" className="button primary">
          Upload a recording
        </Link>
      </div>
      <search className="filters" aria-label="Filter calls">
        <label>
          Search
          <input
            type="search"
            value={value('search')}
            onChange={(e) => set('search', e.target.value)}
            placeholder="Words said, titles, summaries"
          />
        </label>
        <label>
          Type
          <select value={value('type')} onChange={(e) => set('type', e.target.value)}>
            <option value="">All types</option>
            {INTERACTION_TYPES.map((t) => (
              <option key={t} value={t}>
                {label(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Processing
          <select value={value('status')} onChange={(e) => set('status', e.target.value)}>
            <option value="">Any</option>
            {PROCESSING_STATUSES.map((s) => (
              <option key={s} value={s}>
                {label(s)}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" value={value('after')} onChange={(e) => set('after', e.target.value)} />
        </label>
        <label>
          Until
          <input type="date" value={value('before')} onChange={(e) => set('before', e.target.value)} />
        </label>
        <label>
          Order
          <select
            value={value('ordering') || '-occurred_at'}
            onChange={(e) => set('ordering', e.target.value)}
          >
            <option value="-occurred_at">Newest first</option>
            <option value="occurred_at">Oldest first</option>
          </select>
        </label>
      </search>
      <FormErrors error={error} />
      {data && (
        <>
          <p className="count" aria-live="polite">
            {data.count === 1 ? '1 call' : `${data.count} calls`}
          </p>
          {data.results.length === 0 ? (
            <p className="empty">No calls match.</p>
          ) : (
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
                  {data.results.map((call) => (
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
          <Pager page={page} count={data.count} pageSize={PAGE_SIZE} onPage={(p) => set('page', String(p))} />
        </>
      )}
    </>
  );
}
