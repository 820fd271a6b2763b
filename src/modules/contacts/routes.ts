import '@fastify/multipart';
import type { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ApiError, badRequest } from '../../infra/http/errors.js';
import { booleanFilter } from '../../infra/http/query.js';
import type { ContactsService } from './service.js';

const problem = z.object({ line: z.number().int(), index: z.number().int(), reason: z.string() });

export const importReportOut = z.object({
  format: z.enum(['vcard', 'csv']),
  dry_run: z.boolean(),
  created: z.number().int(),
  updated: z.number().int(),
  skipped: z.number().int(),
  errors: z.array(problem),
  warnings: z.array(problem),
  photos: z.array(
    z.object({
      line: z.number().int(),
      index: z.number().int(),
      relationship: z.number().int().nullable(),
      enrolled: z.boolean(),
      reason: z.string().nullable(),
    }),
  ),
});

const importQuery = z.object({ dry_run: booleanFilter.describe('Validate and report without writing') });
const exportQuery = z.object({
  format: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['vcf', 'csv']).default('vcf')),
});

/** The whole upload in memory (vCard and CSV parsers need it whole), refused once past `maxBytes`. */
async function readWhole(stream: Readable, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      stream.destroy();
      throw new ApiError(413, { detail: `The file is larger than the import limit of ${maxBytes} bytes.` });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const tags = ['relationships'];

/** Registered under `/api/relationships/`: static paths, so they never collide with `/:id/`. */
export const contactsRoutes: FastifyPluginAsyncZod<{
  contacts: ContactsService;
  importMaxBytes: number;
}> = async (app, { contacts, importMaxBytes }) => {
  app.post(
    '/import/',
    {
      schema: {
        tags,
        summary:
          'Import people from a vCard (2.1, 3.0, 4.0) or CSV file (multipart field `file`); matches by email or phone update instead of duplicating',
        consumes: ['multipart/form-data'],
        querystring: importQuery,
        response: { 200: importReportOut },
      },
    },
    async (request) => {
      if (!request.isMultipart()) {
        throw new ApiError(415, {
          detail: 'Upload the address book as multipart/form-data with a `file` field.',
        });
      }
      const file = await request.file();
      if (file?.fieldname !== 'file') throw badRequest({ file: ['No file was submitted.'] });
      const bytes = await readWhole(file.file, importMaxBytes);
      if (bytes.length === 0) throw badRequest({ file: ['The submitted file is empty.'] });
      return contacts.import(request.user.id, bytes, { dryRun: request.query.dry_run ?? false });
    },
  );

  app.get(
    '/export/',
    {
      schema: {
        tags,
        summary: 'Download every person as vCard 3.0 (`format=vcf`, default) or CSV (`format=csv`)',
        querystring: exportQuery,
      },
    },
    async (request, reply) => {
      const format = request.query.format;
      return reply
        .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'text/vcard; charset=utf-8')
        .header('content-disposition', `attachment; filename="rapport-contacts.${format}"`)
        .send(contacts.export(request.user.id, format));
    },
  );
};
