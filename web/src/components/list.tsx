import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router';
import { query } from '../api/client';
import type { Page } from '../api/types';
import { FormErrors, Pager, useApi, useDebounced } from './common';

/** Rows per page of the list pages. */
export const PAGE_SIZE = 50;

/**
 * A list page's filters, kept in the URL (so a filtered list can be shared and survives a reload).
 * Changing a filter goes back to the first page.
 */
export function useListParams() {
  const [params, setParams] = useSearchParams();
  const value = (key: string, fallback = '') => params.get(key) || fallback;
  const page = Number(params.get('page') ?? '1') || 1;
  // From the URL as it is now, not this render's params (react-router's functional form passes
  // those too): two quick changes before a re-render — clear the search, then pick a type — would
  // otherwise bring the first filter back.
  const set = (key: string, next: string) => {
    const updated = new URLSearchParams(window.location.search);
    if (next) updated.set(key, next);
    else updated.delete(key);
    if (key !== 'page') updated.delete('page');
    setParams(updated, { replace: true });
  };
  return { value, set, page };
}

/** One page of `path` with these filters; `typed` filters wait until the user pauses typing. */
export function useListPage<T>(
  path: string,
  page: number,
  filters: Record<string, string>,
  typed: Record<string, string> = {},
) {
  // Debounced as one string: an object would be a new value at every render.
  const debounced = JSON.parse(useDebounced(JSON.stringify(typed))) as Record<string, string>;
  return useApi<Page<T>>(
    `${path}${query({ ...debounced, ...filters, page: page > 1 ? page : undefined, page_size: PAGE_SIZE })}`,
  );
}

/** The filters bar: a labelled `<search>` landmark. */
export function Filters({ label, children }: { label: string; children: ReactNode }) {
  return (
    <search className="filters" aria-label={label}>
      {children}
    </search>
  );
}

export function TextFilter({
  label,
  value,
  onChange,
  type = 'text',
  placeholder,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  type?: 'text' | 'search' | 'date';
  placeholder?: string;
}) {
  return (
    <label>
      {label}
      <input type={type} value={value} onChange={(e) => onChange(e.target.value)} placeholder={placeholder} />
    </label>
  );
}

/** A select of `choices`; `any` adds a first, empty choice ("All types"). */
export function ChoiceFilter({
  label,
  value,
  onChange,
  choices,
  any,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  choices: { value: string; text: string }[];
  any?: string;
}) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.target.value)}>
        {any !== undefined && <option value="">{any}</option>}
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.text}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * Under the filters: the API's error, the count ("1 call", "3 calls"), the results or `empty`, and
 * the pager.
 */
export function ListResults<T>({
  list,
  page,
  onPage,
  noun,
  empty,
  children,
}: {
  list: { data: Page<T> | undefined; error: unknown };
  page: number;
  onPage: (page: number) => void;
  noun: [one: string, many: string];
  empty: string;
  children: (results: T[]) => ReactNode;
}) {
  const { data, error } = list;
  return (
    <>
      <FormErrors error={error} />
      {data && (
        <>
          <p className="count" aria-live="polite">
            {data.count} {data.count === 1 ? noun[0] : noun[1]}
          </p>
          {data.results.length === 0 ? <p className="empty">{empty}</p> : children(data.results)}
          <Pager page={page} count={data.count} pageSize={PAGE_SIZE} onPage={onPage} />
        </>
      )}
    </>
  );
}
