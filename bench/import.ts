/**
 * Contacts import/export benchmark: a 10,000-contact vCard address book imported into a fresh
 * user, imported again (every contact now matches someone: nothing new is written), then exported
 * as vCard and CSV, and the whole account exported as a ZIP.
 *
 *   npm run bench:import
 *   DATABASE_URL=postgres://… BENCH_CONTACTS=50000 npm run bench:import
 *
 * The address book is generated (seeded, so every run imports the same file) in the shape of a
 * Google Contacts export: FN and N, one or two emails, a phone in various national spellings,
 * an organisation, a birthday (some without a year), labels, a note on every fifth card, folded
 * long lines, and 2 % of the people appearing twice (the duplicates update instead of creating).
 *
 * Each target runs in a fresh child process (this file again) so that peak RSS is that run's own:
 * the process's RSS is sampled every 20 ms; "peak RSS" is the highest sample during the step
 * (PGlite's database lives in the same process and is included). Targets: PGlite in memory, and
 * the PostgreSQL server in DATABASE_URL when it is set (a user is created there and deleted at
 * the end).
 *
 * Environment: BENCH_CONTACTS (10000), IMPORT_BATCH_SIZE (500) and the rest of the configuration
 * through loadConfig.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { eq } from 'drizzle-orm';
import { createContactsService } from '../src/app.js';
import { loadConfig } from '../src/infra/config/config.js';
import { openDatabase } from '../src/infra/db/database.js';
import { users } from '../src/infra/db/schema.js';
import { createStorage } from '../src/infra/storage/index.js';
import { AccountRepository } from '../src/modules/account/repository.js';
import { AccountService } from '../src/modules/account/service.js';
import { UsersRepository } from '../src/modules/users/repository.js';
import { machineCpu } from './machine.js';

const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TASK_ENV = 'BENCH_IMPORT_TARGET';
const CONTACTS = Number(process.env.BENCH_CONTACTS) || 10_000;

type Row = { step: string; seconds: number; rate: string; peakRssMb: number; startRssMb: number };

/** A deterministic pseudo-random generator (mulberry32), so every run imports the same file. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = [
  'Ada',
  'José',
  'Zoë',
  'Åsa',
  'Jürgen',
  'Li',
  'Amara',
  'Olusegun',
  'Siobhán',
  'Mateus',
  'Yuki',
  'Priya',
];
const FAMILY = [
  'Lovelace',
  'Álvarez',
  "O'Brien",
  'Ångström',
  'Müller',
  '王',
  'Okafor',
  'Nakamura',
  'Silva',
  'Kowalski',
];
const ORGS = ['Acme Ibérica', 'Société Générale', 'Bäckerei Müller GmbH', 'Initech', 'Umbrella', ''];
const LABELS = ['Friends', 'Family', 'Work', 'Climbing', 'Book club', 'Neighbours'];

export function addressBook(count: number): Buffer {
  const next = random(42);
  const pick = <T>(items: T[]) => items[Math.floor(next() * items.length)]!;
  const cards: string[] = [];
  const people: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && next() < 0.02) {
      cards.push(people[Math.floor(next() * people.length)]!.replace(/NOTE:[^\r]*\r\n/, ''));
      continue;
    }
    const given = pick(GIVEN);
    const family = pick(FAMILY);
    const year = next() < 0.2 ? '--' : String(1940 + Math.floor(next() * 65));
    const month = String(1 + Math.floor(next() * 12)).padStart(2, '0');
    const day = String(1 + Math.floor(next() * 28)).padStart(2, '0');
    const lines = [
      'BEGIN:VCARD',
      'VERSION:3.0',
      `FN:${given} ${family}`,
      `N:${family};${given};;;`,
      `EMAIL;TYPE=INTERNET;TYPE=HOME:${given
        .toLowerCase()
        .normalize('NFD')
        .replace(/[^a-z]/g, '')}.${i}@example.com`,
      ...(next() < 0.3 ? [`EMAIL;TYPE=INTERNET;TYPE=WORK:person${i}@work.example`] : []),
      `TEL;TYPE=CELL:${next() < 0.5 ? `+44 7700 ${String(900000 + i).slice(-6)}` : `(202) 555-${String(i).padStart(4, '0').slice(-4)}`}`,
      `ORG:${pick(ORGS)}`,
      `BDAY:${year === '--' ? `--${month}-${day}` : `${year}-${month}-${day}`}`,
      `CATEGORIES:myContacts,${pick(LABELS)}`,
      ...(i % 5 === 0
        ? [
            `NOTE:Met ${given} at the ${pick(LABELS).toLowerCase()} evening\\, talked about ${pick(ORGS) || 'work'} for a l`,
            ' ong while; remember to ask about the trip.',
          ]
        : []),
      'END:VCARD',
    ];
    const card = `${lines.join('\r\n')}\r\n`;
    people.push(card);
    cards.push(card);
  }
  return Buffer.from(cards.join(''));
}

/** Peak RSS while `fn` runs, sampled every 20 ms (and at both ends). */
async function measured<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; seconds: number; peakRssMb: number; startRssMb: number }> {
  const startRss = process.memoryUsage().rss;
  let peak = startRss;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 20);
  const start = performance.now();
  try {
    const value = await fn();
    const seconds = (performance.now() - start) / 1000;
    peak = Math.max(peak, process.memoryUsage().rss);
    return {
      value,
      seconds,
      peakRssMb: Math.round(peak / 1024 / 1024),
      startRssMb: Math.round(startRss / 1024 / 1024),
    };
  } finally {
    clearInterval(timer);
  }
}

async function drain(stream: NodeJS.ReadableStream): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += (chunk as Buffer).length;
  return bytes;
}

async function runTarget(target: 'pglite' | 'postgres'): Promise<Row[]> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const database = await openDatabase({
    databaseUrl: target === 'postgres' ? config.databaseUrl : undefined,
    voiceEmbeddingDim: config.voiceEmbeddingDim,
  });
  await database.migrate();
  const user = await new UsersRepository(database.db).create({
    username: `bench_${randomUUID().slice(0, 8)}`,
    passwordHash: 'x',
  });
  const contacts = createContactsService({ config, database });
  const file = addressBook(CONTACTS);
  const rows: Row[] = [];
  try {
    const first = await measured(() => contacts.import(user.id, file, { dryRun: false }));
    const r = first.value;
    rows.push({
      step: `import ${CONTACTS.toLocaleString('en')} vCards (${(file.length / 1e6).toFixed(1)} MB): ${r.created} created, ${r.updated} updated`,
      seconds: first.seconds,
      rate: `${Math.round(CONTACTS / first.seconds)} contacts/s`,
      peakRssMb: first.peakRssMb,
      startRssMb: first.startRssMb,
    });
    const again = await measured(() => contacts.import(user.id, file, { dryRun: false }));
    rows.push({
      step: `same file again (all match: ${again.value.skipped} unchanged)`,
      seconds: again.seconds,
      rate: `${Math.round(CONTACTS / again.seconds)} contacts/s`,
      peakRssMb: again.peakRssMb,
      startRssMb: again.startRssMb,
    });
    for (const format of ['vcf', 'csv'] as const) {
      const out = await measured(() => drain(contacts.export(user.id, format)));
      rows.push({
        step: `export ${format} (${(out.value / 1e6).toFixed(1)} MB)`,
        seconds: out.seconds,
        rate: `${Math.round(r.created / out.seconds)} people/s, ${(out.value / 1e6 / out.seconds).toFixed(1)} MB/s`,
        peakRssMb: out.peakRssMb,
        startRssMb: out.startRssMb,
      });
    }
    const account = new AccountService(new AccountRepository(database.db), createStorage(config.storage));
    const zip = await measured(async () => drain(await account.exportArchive(user.id)));
    rows.push({
      step: `account ZIP (${(zip.value / 1e6).toFixed(1)} MB, no media)`,
      seconds: zip.seconds,
      rate: `${(zip.value / 1e6 / zip.seconds).toFixed(1)} MB/s`,
      peakRssMb: zip.peakRssMb,
      startRssMb: zip.startRssMb,
    });
  } finally {
    // Cascades to everything the bench created (a no-op loss for the in-memory PGlite).
    await database.db.delete(users).where(eq(users.id, user.id));
    await database.close();
  }
  return rows;
}

function child(target: string): Promise<Row[]> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', SELF], {
      cwd: ROOT,
      env: { ...process.env, [TASK_ENV]: target },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk;
    });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`${target} run exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').at(-1)!) as Row[]);
    });
  });
}

async function main() {
  const task = process.env[TASK_ENV];
  if (task === 'pglite' || task === 'postgres') {
    console.log(JSON.stringify(await runTarget(task)));
    return;
  }
  const targets: ('pglite' | 'postgres')[] = process.env.DATABASE_URL ? ['pglite', 'postgres'] : ['pglite'];
  if (!process.env.DATABASE_URL) console.log('(DATABASE_URL not set: PGlite only)');
  console.log(
    `\n| target | step | wall s | rate | RSS at start → peak MB | machine CPU busy (whole run, bench included) |`,
  );
  console.log('| --- | --- | ---: | ---: | ---: | ---: |');
  for (const target of targets) {
    const before = machineCpu();
    const rows = await child(target);
    const after = machineCpu();
    const busy =
      before && after
        ? `${Math.round((100 * (after.busy - before.busy)) / (after.total - before.total))} % busy`
        : '';
    for (const row of rows) {
      console.log(
        `| ${target === 'pglite' ? 'PGlite' : 'PostgreSQL'} | ${row.step} | ${row.seconds.toFixed(2)} | ${row.rate} | ${row.startRssMb} → ${row.peakRssMb} | ${busy} |`,
      );
    }
  }
}

await main();
