import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { AppConfig } from './infra/config/config.js';
import type { DatabaseHandle } from './infra/db/database.js';
import type { EventBus } from './infra/events/index.js';
import { frameworkErrors, registerErrorHandlers } from './infra/http/error-handler.js';
import { UrlSigner } from './infra/http/signed-urls.js';
import { installDrfMessages } from './infra/http/zod-messages.js';
import { loggerOptions } from './infra/logging/logger.js';
import type { JobQueue } from './infra/queue/index.js';
import type { Storage } from './infra/storage/index.js';
import { createLiveEngines } from './live/live-engines.js';
import { liveRoutes } from './live/routes.js';
import { AccountRepository } from './modules/account/repository.js';
import { accountRoutes } from './modules/account/routes.js';
import { AccountService } from './modules/account/service.js';
import { AdminRepository } from './modules/admin/repository.js';
import { adminRoutes } from './modules/admin/routes.js';
import { AdminService } from './modules/admin/service.js';
import { ContactsRepository } from './modules/contacts/repository.js';
import { contactsRoutes } from './modules/contacts/routes.js';
import { ContactsService, type FaceEnroller } from './modules/contacts/service.js';
import { DigestRepository } from './modules/digest/repository.js';
import { digestRoutes } from './modules/digest/routes.js';
import { DigestService } from './modules/digest/service.js';
import { eventsRoutes } from './modules/events/routes.js';
import { fixedStatuses, healthRoutes } from './modules/health/routes.js';
import { mediaRoutes } from './modules/interactions/media-routes.js';
import { MediaService } from './modules/interactions/media-service.js';
import { InteractionsRepository } from './modules/interactions/repository.js';
import { interactionsRoutes } from './modules/interactions/routes.js';
import { InteractionsService } from './modules/interactions/service.js';
import { mediaLinkRoutes } from './modules/media-links/routes.js';
import type { NotesExtractionService } from './modules/notes/extraction.js';
import { NotesRepository } from './modules/notes/repository.js';
import { notesRoutes } from './modules/notes/routes.js';
import { NotesService } from './modules/notes/service.js';
import { RelationshipsRepository } from './modules/relationships/repository.js';
import { relationshipsRoutes } from './modules/relationships/routes.js';
import { RelationshipsService } from './modules/relationships/service.js';
import { FaceEnrolmentService } from './modules/signatures/face-enrolment.js';
import { faceEnrolmentRoutes } from './modules/signatures/face-enrolment-routes.js';
import { SignaturesRepository } from './modules/signatures/repository.js';
import { signaturesRoutes } from './modules/signatures/routes.js';
import { SignaturesService } from './modules/signatures/service.js';
import { VoiceEnrolmentService } from './modules/signatures/voice-enrolment.js';
import { voiceEnrolmentRoutes } from './modules/signatures/voice-enrolment-routes.js';
import { transcriptRoutes } from './modules/transcripts/routes.js';
import { TranscriptsService } from './modules/transcripts/service.js';
import { registerAuthHook } from './modules/users/auth-hook.js';
import { LoginThrottle } from './modules/users/login-throttle.js';
import { UsersRepository } from './modules/users/repository.js';
import { usersRoutes } from './modules/users/routes.js';
import { UsersService } from './modules/users/service.js';
import { webAppRoutes } from './modules/web-app/routes.js';
import type { FaceEngine } from './pipeline/engines/face/index.js';
import { speechEngineStatus } from './pipeline/speech/engines.js';
import type { LiveSpeechThreads } from './pipeline/speech/live-threads.js';
import type { SpeechWorkers } from './pipeline/speech/pool.js';

export const VERSION: string = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
).version;

/** The adapters the app runs on; `runtime.ts` builds them from the configuration. */
export type AppDeps = {
  config: AppConfig;
  database: DatabaseHandle;
  storage: Storage;
  queue: JobQueue;
  events: EventBus;
  /** Notes and summaries (live calls end with them); absent, live calls store the transcript only. */
  notesExtraction?: NotesExtractionService;
  speech: SpeechWorkers;
  /** Live-call speech; absent, live calls have no transcript. */
  liveSpeech?: LiveSpeechThreads;
  faceEngine: FaceEngine;
};

/** Accounts only: what the CLI needs (`createuser`) without starting storage or a queue. */
export function createUsersService({ config, database }: Pick<AppDeps, 'config' | 'database'>): UsersService {
  return new UsersService(new UsersRepository(database.db), new LoginThrottle(config.login));
}

/**
 * Contacts import/export; also used by `rapport import`. Without a `faceEnroller`, imported
 * PHOTOs are reported as not enrolled.
 */
export function createContactsService(
  { config, database }: Pick<AppDeps, 'config' | 'database'>,
  faceEnroller?: FaceEnroller,
): ContactsService {
  return new ContactsService(new ContactsRepository(database.db), {
    batchSize: config.contacts.importBatchSize,
    phoneDefaultCountry: config.contacts.phoneDefaultCountry,
    faceEnroller,
  });
}

/** Face enrolment (photos → face signatures); also used by `rapport import` for contact photos. */
export function createFaceEnrolment({
  config,
  database,
  storage,
  faceEngine,
}: Pick<AppDeps, 'config' | 'database' | 'storage' | 'faceEngine'>): FaceEnrolmentService {
  return new FaceEnrolmentService(
    new SignaturesRepository(database.db),
    new RelationshipsRepository(database.db),
    faceEngine,
    storage,
    config.faces,
  );
}

/** Everything the HTTP layer needs: repositories wired into services. */
export function createServices({ config, database, storage, queue, speech, faceEngine }: AppDeps) {
  const db = database.db;
  const relationshipsRepo = new RelationshipsRepository(db);
  const signaturesRepo = new SignaturesRepository(db);
  const interactionsRepo = new InteractionsRepository(db);
  const media = new MediaService(interactionsRepo, storage, queue, config.media.maxBytes);
  const faceEnrolment = createFaceEnrolment({ config, database, storage, faceEngine });
  return {
    media,
    users: createUsersService({ config, database }),
    relationships: new RelationshipsService(relationshipsRepo),
    interactions: new InteractionsService(interactionsRepo, relationshipsRepo, media),
    notes: new NotesService(new NotesRepository(db), relationshipsRepo, interactionsRepo),
    signatures: new SignaturesService(signaturesRepo, relationshipsRepo, interactionsRepo, storage),
    voiceEnrolment: new VoiceEnrolmentService(config, speech, signaturesRepo, relationshipsRepo, storage),
    faceEnrolment,
    digest: new DigestService(new DigestRepository(db), config.digest),
    // Contact PHOTOs are enrolled as faces of the person.
    contacts: createContactsService({ config, database }, faceEnrolment),
    account: new AccountService(new AccountRepository(db), storage),
    admin: new AdminService(new AdminRepository(db)),
    transcripts: new TranscriptsService(interactionsRepo, relationshipsRepo, queue),
  };
}
export type Services = ReturnType<typeof createServices>;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database, queue, events } = deps;
  installDrfMessages();
  const services = createServices(deps);

  const app = Fastify({
    logger: loggerOptions(config),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: config.bodyLimitBytes,
    trustProxy: config.trustProxy,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
    frameworkErrors,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandlers(app);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  await app.register(cors, { origin: config.corsOrigins.length > 0 ? config.corsOrigins : false });
  // Only the media route reads multipart bodies, as a stream. The size limit is enforced while
  // storing (MediaTooLargeError → 413); the parser lets one byte more through so that check sees it.
  await app.register(multipart, {
    limits: { fileSize: config.media.maxBytes + 1, files: 1, fields: 20, parts: 21 },
    throwFileSizeLimit: true,
  });
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Rapport API',
        version: VERSION,
        description: 'Relationship CRM: people, calls and notes.',
      },
      components: {
        securitySchemes: {
          token: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'Token <key>' },
        },
      },
      security: [{ token: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/api/docs' });
  app.get('/api/schema/', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());

  const signer = new UrlSigner(config.web.secretKey);
  registerAuthHook(app, services.users, signer);

  await app.register(healthRoutes, {
    prefix: '/api/health/',
    database,
    queue,
    version: VERSION,
    engines: {
      face: deps.faceEngine,
      // The process's own engine (the runtime's): a health check never starts a second one.
      ...(deps.notesExtraction ? { notes: deps.notesExtraction.engine } : {}),
      ...fixedStatuses(speechEngineStatus(config)),
    },
  });
  await app.register(usersRoutes, { prefix: '/api/auth/users/', users: services.users });
  await app.register(accountRoutes, { prefix: '/api/auth/users/', account: services.account });
  await app.register(relationshipsRoutes, {
    prefix: '/api/relationships/',
    relationships: services.relationships,
    notes: services.notes,
  });
  await app.register(contactsRoutes, {
    prefix: '/api/relationships/',
    contacts: services.contacts,
    importMaxBytes: config.contacts.importMaxBytes,
  });
  await app.register(voiceEnrolmentRoutes, {
    prefix: '/api/relationships/',
    enrolment: services.voiceEnrolment,
  });
  await app.register(interactionsRoutes, {
    prefix: '/api/interactions/',
    interactions: services.interactions,
  });
  await app.register(mediaRoutes, {
    prefix: '/api/interactions/',
    interactions: services.interactions,
    media: services.media,
  });
  await app.register(transcriptRoutes, {
    prefix: '/api/interactions/',
    interactions: services.interactions,
    transcripts: services.transcripts,
  });
  await app.register(faceEnrolmentRoutes, {
    prefix: '/api/relationships/',
    enrolment: services.faceEnrolment,
  });
  await app.register(notesRoutes, { prefix: '/api/notes/', notes: services.notes });
  await app.register(digestRoutes, { prefix: '/api/digest/', digest: services.digest });
  await app.register(signaturesRoutes, { prefix: '/api/signatures/', signatures: services.signatures });
  await app.register(liveRoutes, {
    config: config.live,
    services,
    interactions: new InteractionsRepository(database.db),
    events,
    engines: createLiveEngines({
      notesExtraction: deps.notesExtraction,
      speech: deps.liveSpeech,
      faceEngine: deps.faceEngine,
      faces: config.faces,
      storage: deps.storage,
      signatures: new SignaturesRepository(database.db),
      log: app.log,
    }),
  });
  await app.register(mediaLinkRoutes, {
    prefix: '/api/interactions/',
    interactions: services.interactions,
    signer,
    ttlSeconds: config.web.mediaLinkTtlSeconds,
  });
  await app.register(eventsRoutes, { prefix: '/api/events/', events });
  await app.register(adminRoutes, { prefix: '/api/admin/', admin: services.admin });
  if (config.web.dir) await app.register(webAppRoutes, { dir: config.web.dir });
  return app;
}
