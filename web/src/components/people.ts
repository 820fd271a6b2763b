import type { Page, Relationship } from '../api/types';
import { useApi } from './common';

/** Everyone (first 200 by name), for pickers and for naming ids. */
export function usePeople(version = 0) {
  const { data, error } = useApi<Page<Relationship>>(
    '/api/relationships/?page_size=200&ordering=name',
    version,
  );
  const byId = new Map((data?.results ?? []).map((p) => [p.id, p]));
  return { people: data?.results, byId, error };
}
