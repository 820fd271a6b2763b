import { execFileSync } from 'node:child_process';
import { REPO_ROOT } from '../helpers/process.js';

/** The browser tests drive the app as built from the current sources: build it once per run (~1 s). */
export default function buildWebApp(): void {
  execFileSync(
    process.execPath,
    ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
}
