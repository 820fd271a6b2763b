import fs from 'node:fs/promises';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

const NOT_BUILT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Rapport</title></head>
<body><h1>The Rapport web app is not built</h1>
<p>Build it with <code>npm run build:web</code> (or <code>npm install</code>, which builds everything),
then reload this page. The API is running at <a href="/api/docs/">/api/docs/</a>.</p></body></html>`;

/** Paths the single-page app never answers: the API and the live-call socket keep their own 404s. */
const isServerPath = (pathname: string) => /^\/(api|ws)(\/|$)/.test(pathname);

async function isFile(file: string): Promise<boolean> {
  return fs.stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * The web app at `/`: files of the Vite build (`WEB_APP_DIR`), and `index.html` for every other
 * path, so that the app's own routes (`/people/3`) survive a reload. Hashed assets are cached for
 * a year; `index.html` is revalidated on every load so a new build is picked up at once.
 */
export const webAppRoutes: FastifyPluginAsync<{ dir: string }> = async (app, { dir }) => {
  const root = path.resolve(dir);
  if (!(await isFile(path.join(root, 'index.html')))) {
    app.log.warn(
      { dir: root },
      'the web app is not built: run `npm run build:web` (the API works without it)',
    );
  }
  await app.register(fastifyStatic, { root, serve: false });

  app.get('/*', { schema: { hide: true } }, async (request, reply) => {
    let pathname: string;
    try {
      pathname = decodeURIComponent(request.url.split('?')[0]!);
    } catch {
      return reply.code(404).send({ detail: 'Not found.' });
    }
    if (isServerPath(pathname)) return reply.code(404).send({ detail: 'Not found.' });
    const file = path.resolve(root, `.${pathname}`);
    if (file.startsWith(`${root}${path.sep}`) && (await isFile(file))) {
      const hashed = pathname.startsWith('/assets/');
      return reply.sendFile(path.relative(root, file), {
        maxAge: hashed ? '365d' : 0,
        immutable: hashed,
      });
    }
    if (!(await isFile(path.join(root, 'index.html')))) {
      return reply.code(503).type('text/html; charset=utf-8').send(NOT_BUILT_PAGE);
    }
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html', { cacheControl: false });
  });
};
