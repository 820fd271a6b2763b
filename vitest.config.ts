import { defineConfig } from 'vitest/config';

// The API suite runs once per database path; the server path needs TEST_DATABASE_URL.
const hasServer = Boolean(process.env.TEST_DATABASE_URL);
// The config is evaluated once per project: say it once.
const notice = globalThis as { rapportSkipNoticeShown?: boolean };
if (!hasServer && !notice.rapportSkipNoticeShown) {
  notice.rapportSkipNoticeShown = true;
  console.log(
    '[rapport] TEST_DATABASE_URL is not set: the API suite against a PostgreSQL server is SKIPPED ' +
      '(it still runs on PGlite in-process and through node-postgres over the wire to PGlite).',
  );
}

const apiProject = (name: string) => ({
  extends: true as const,
  test: { name, include: ['test/api/**/*.test.ts'], env: { RAPPORT_TEST_DB: name } },
});

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // PGlite instances are ~450 MB each; two files at a time fit a 2-core machine well.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // web/src/**: the web app's pure logic (protocol handling), next to its code.
          include: ['test/unit/**/*.test.ts', 'test/system/**/*.test.ts', 'web/src/**/*.test.ts'],
        },
      },
      // The web app in a real browser (Debian's Chromium) against a real `rapport serve`.
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['test/e2e/global-setup.ts'],
          testTimeout: 120_000,
        },
      },
      apiProject('pglite'),
      apiProject('wire'),
      ...(hasServer ? [apiProject('postgres')] : []),
    ],
  },
});
