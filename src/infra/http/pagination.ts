import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { invalidPage } from './errors.js';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** Query fields every list accepts; parsed by `pageRequest`, not by the schema, so a bad page is a 404. */
export const pageQuery = {
  page: z.string().optional().describe('Page number, from 1'),
  page_size: z
    .string()
    .optional()
    .describe(`Items per page (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE})`),
};

export type PageRequest = { page: number; pageSize: number; offset: number };

export function pageRequest(query: {
  page?: string | undefined;
  page_size?: string | undefined;
}): PageRequest {
  let page = 1;
  // As DRF's `page_number = query_params.get('page') or 1`: an empty `?page=` is the first page.
  if (query.page !== undefined && query.page !== '') {
    if (!/^\d{1,9}$/.test(query.page)) throw invalidPage();
    page = Number(query.page);
    if (page < 1) throw invalidPage();
  }
  // As in DRF: a page size that is not a positive integer falls back to the default; too large is capped.
  let pageSize = DEFAULT_PAGE_SIZE;
  if (query.page_size !== undefined && /^\d{1,9}$/.test(query.page_size) && Number(query.page_size) > 0) {
    pageSize = Math.min(Number(query.page_size), MAX_PAGE_SIZE);
  }
  return { page, pageSize, offset: (page - 1) * pageSize };
}

export type Page<T> = { count: number; next: string | null; previous: string | null; results: T[] };

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({
    count: z.number().int(),
    next: z.string().nullable(),
    previous: z.string().nullable(),
    results: z.array(item),
  });
}

function pageUrl(request: FastifyRequest, page: number): string {
  const url = new URL(request.url, `${request.protocol}://${request.host}`);
  if (page <= 1) url.searchParams.delete('page');
  else url.searchParams.set('page', String(page));
  return url.toString();
}

/** The DRF pagination envelope; a page past the end is a 404, except page 1 of an empty list. */
export function paginate<T>(request: FastifyRequest, pr: PageRequest, count: number, results: T[]): Page<T> {
  const lastPage = Math.max(1, Math.ceil(count / pr.pageSize));
  if (pr.page > lastPage) throw invalidPage();
  return {
    count,
    next: pr.page < lastPage ? pageUrl(request, pr.page + 1) : null,
    previous: pr.page > 1 ? pageUrl(request, pr.page - 1) : null,
    results,
  };
}
