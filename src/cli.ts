#!/usr/bin/env node
import { stdin as input, stdout as output } from 'node:process';
import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import 'dotenv/config';
import { readFile } from 'node:fs/promises';
import { createContactsService, createFaceEnrolment, createUsersService, VERSION } from './app.js';
import { ConfigError, loadConfig } from './infra/config/config.js';
import { DataDirLockedError } from './infra/db/data-dir-lock.js';
import { ApiError } from './infra/http/errors.js';
import { installDrfMessages } from './infra/http/zod-messages.js';
import { downloadModels, listModels } from './infra/models/cli.js';
import { ModelDownloadError } from './infra/models/download.js';
import { createStorage } from './infra/storage/index.js';
import { createFaceEngine } from './pipeline/engines/face/index.js';
import {
  openConfiguredDatabase,
  startScheduler,
  startServer,
  startWorker,
  WorkerModeError,
} from './server.js';

async function prompt(question: string, hidden = false): Promise<string> {
  const rl = createInterface({ input, output, terminal: true });
  if (hidden) {
    // Echo nothing while the password is typed.
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) output.write(question);
    };
  }
  try {
    const answer = await rl.question(question);
    if (hidden) output.write('\n');
    return answer;
  } finally {
    rl.close();
  }
}

const program = new Command()
  .name('rapport')
  .description('Rapport: a self-hosted relationship CRM backend')
  .version(VERSION);

program
  .command('serve')
  .description('run the HTTP API (migrates the database first)')
  .action(async () => {
    await startServer(loadConfig());
  });

program
  .command('worker')
  .description('process pipeline jobs (needs REDIS_URL or DATABASE_URL: a queue several processes share)')
  .action(async () => {
    await startWorker(loadConfig());
  });

program
  .command('scheduler')
  .description('register the periodic maintenance job on the Redis queue and keep it registered')
  .action(async () => {
    await startScheduler(loadConfig());
  });

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const database = await openConfiguredDatabase(loadConfig());
    await database.close();
    console.log('Database is up to date.');
  });

program
  .command('createuser')
  .alias('createsuperuser')
  .description('create a user (interactive unless --username and --password are given)')
  .option('--username <name>')
  .option('--email <email>', 'email address', '')
  .option('--password <password>', 'password (prefer the prompt: arguments show in `ps`)')
  .option('--staff', 'give the user the admin pages', false)
  .action(async (options: { username?: string; email: string; password?: string; staff: boolean }) => {
    installDrfMessages();
    const username = options.username ?? (await prompt('Username: '));
    const email = options.email || (options.username ? '' : await prompt('Email address: '));
    let password = options.password;
    if (password === undefined) {
      password = await prompt('Password: ', true);
      if ((await prompt('Password (again): ', true)) !== password)
        throw new Error("The two passwords didn't match.");
    }
    const config = loadConfig();
    const database = await openConfiguredDatabase(config);
    try {
      const user = await createUsersService({ config, database }).createUser({
        username,
        email,
        password,
        isStaff: options.staff,
      });
      console.log(`Created ${user.isStaff ? 'staff user' : 'user'} "${user.username}" (id ${user.id}).`);
    } finally {
      await database.close();
    }
  });

program
  .command('import')
  .description(
    "import a vCard (.vcf) or CSV address book into a user's people, as POST /api/relationships/import/ does",
  )
  .requiredOption('--user <username>', 'the user who gets the people')
  .option('--dry-run', 'check the file and report, write nothing', false)
  .argument('<file>', 'the vCard or CSV file')
  .action(async (file: string, options: { user: string; dryRun: boolean }) => {
    installDrfMessages();
    const config = loadConfig();
    const bytes = await readFile(file);
    if (bytes.length > config.contacts.importMaxBytes) {
      throw new Error(`${file} is larger than IMPORT_MAX_BYTES (${config.contacts.importMaxBytes} bytes).`);
    }
    const database = await openConfiguredDatabase(config);
    // Contact photos are enrolled as faces, as over the API (FACE_RECOGNITION_ENABLED=false: reported).
    const faceEngine = createFaceEngine(config);
    try {
      const user = await createUsersService({ config, database }).findByUsername(options.user);
      if (!user) throw new Error(`No user named "${options.user}".`);
      const storage = createStorage(config.storage);
      const faceEnrolment = createFaceEnrolment({ config, database, storage, faceEngine });
      const report = await createContactsService({ config, database }, faceEnrolment).import(user.id, bytes, {
        dryRun: options.dryRun,
      });
      const verb = options.dryRun ? 'Would import' : 'Imported';
      console.log(
        `${verb} ${report.format === 'vcard' ? 'vCard' : 'CSV'} for "${user.username}": ${report.created} created, ${report.updated} updated, ${report.skipped} unchanged, ${report.errors.length} not imported.`,
      );
      for (const e of report.errors) console.log(`  line ${e.line}: not imported: ${e.reason}`);
      for (const w of report.warnings) console.log(`  line ${w.line}: ${w.reason}`);
      const enrolled = report.photos.filter((p) => p.enrolled).length;
      if (enrolled > 0) console.log(`  ${enrolled} photo(s) enrolled as faces.`);
      for (const p of report.photos.filter((p) => !p.enrolled))
        console.log(`  line ${p.line}: photo not enrolled: ${p.reason}`);
    } finally {
      await faceEngine.close();
      await database.close();
    }
  });

const models = program.command('models').description('model files for the speech engines (MODELS_DIR)');
models
  .command('list')
  .description('the models Rapport can download, and what uses them')
  .action(() => listModels(loadConfig()));
models
  .command('download')
  .description('download models into MODELS_DIR (resumable, SHA-256 verified)')
  .argument('<names...>', 'model names, as `rapport models list` shows them')
  .action(async (names: string[]) => {
    await downloadModels(loadConfig(), names);
  });

program.parseAsync().catch((error: unknown) => {
  if (
    error instanceof ConfigError ||
    error instanceof ModelDownloadError ||
    error instanceof DataDirLockedError ||
    error instanceof WorkerModeError
  ) {
    console.error(error.message);
  } else if (error instanceof ApiError) {
    for (const [field, messages] of Object.entries(error.body)) {
      console.error(`${field}: ${Array.isArray(messages) ? messages.join(' ') : String(messages)}`);
    }
  } else {
    console.error(error);
  }
  process.exit(1);
});
