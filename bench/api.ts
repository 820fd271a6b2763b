/**
 * HTTP load benchmark of the relationships API against the real server, on PGlite and (when
 * DATABASE_URL is set) on that PostgreSQL server.
 *
 *   npm run bench:api
 *   DATABASE_URL=postgres://user:pw@host:5432/db npm run bench:api
 *
 * Per target: a fresh database (temp PGlite dir; a new database created from DATABASE_URL and
 * dropped afterwards), one user with BENCH_ROWS relationships (and BENCH_INTERACTIONS interactions so
 * `last_interaction_at` is real work), then `rapport serve` in a child process (so the load generator
 * does not share the server's event loop) and autocannon against list, search and create.
 *
 * Environment (all optional):
 *   BENCH_DURATION      seconds per measured run (10)
 *   BENCH_WARMUP        seconds of warm-up before each run (2)
 *   BENCH_CONNECTIONS   concurrent HTTP connections (50)
 *   BENCH_ROWS          relationships seeded (10000)
 *   BENCH_INTERACTIONS  interactions seeded, 1-3 participants each (BENCH_ROWS / 2)
 *   BENCH_TARGETS       comma list of pglite,postgres (both when DATABASE_URL is set)
 *   BENCH_ENDPOINTS     comma list of list,search,create (all)
 *   BENCH_SERVER        dist (default; rebuilt with `npm run build` when stale) or tsx
 *   BENCH_CPU_PROF      1 or a directory: run the server with --cpu-prof and print its hot spots
 *   BENCH_KEEP_DB       keep the PostgreSQL bench database afterwards (to EXPLAIN its queries)
 *   DATABASE_POOL_SIZE, VOICE_EMBEDDING_DIM, ... are passed through to the server.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { createUsersService } from '../src/app.js';
import { loadConfig } from '../src/infra/config/config.js';
import { interactionParticipants, interactions, relationships } from '../src/infra/db/schema.js';
import { openConfiguredDatabase } from '../src/server.js';
import { machineCpu } from './machine.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return Math.floor(n);
}

const DURATION = Math.max(1, envInt('BENCH_DURATION', 10));
const WARMUP = envInt('BENCH_WARMUP', 2);
const CONNECTIONS = Math.max(1, envInt('BENCH_CONNECTIONS', 50));
const ROWS = envInt('BENCH_ROWS', 10_000);
const INTERACTIONS = envInt('BENCH_INTERACTIONS', Math.floor(ROWS / 2));
const ENDPOINTS = (process.env.BENCH_ENDPOINTS || 'list,search,create').split(',').map((s) => s.trim());
const SERVER_MODE = process.env.BENCH_SERVER === 'tsx' ? 'tsx' : 'dist';
const CPU_PROF = process.env.BENCH_CPU_PROF || '';
const USERNAME = 'bench';
const PASSWORD = 'Bench-load-Pa55word!';
/** A surname given to ~1/30 of the people; it also lands in their emails. */
const SEARCH_TERM = 'nakamura';

// ---------------------------------------------------------------------------------------------
// Cleanup: child processes, temp dirs and the PostgreSQL bench database go whatever happens.

const cleanups: (() => Promise<void> | void)[] = [];
async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch (error) {
      console.error('cleanup failed:', error);
    }
  }
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up`);
    runCleanups().finally(() => process.exit(130));
  });
}

function tempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Seed data: deterministic, varied names, emails, phones, companies and tags.

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = (
  'Emma Liam Olivia Noah Ava Elijah Sophia Mateo Isabella Lucas Mia Amara Kenji Priya Tomasz Ingrid ' +
  'Youssef Chloe Diego Freya Hana Ivan Jamal Keira Lars Mei Nadia Oscar Paloma Rafael Sven Thandiwe Uma ' +
  'Viktor Wen Ximena Yara Zoltan Aiko Bruno'
).split(' ');
const LAST = (
  'Okafor Lindqvist Fernandes Kowalski Haddad Novak Brennan Castellanos Dubois Eriksen Fitzgerald ' +
  'Gallagher Horvath Iwasaki Jovanovic Kaminski Laurent Moreau Nakamura Oyelaran Petrov Quintero ' +
  'Rasmussen Sandoval Takahashi Umarov Valdivia Whitfield Yilmaz Zielinski'
).split(' ');
const COMPANIES =
  'Acme|Globex|Initech|Umbrella|Hooli|Stark Industries|Wayne Enterprises|Vandelay|Soylent|Tyrell|||'.split(
    '|',
  );
const TAGS = (
  'work family school climbing book-club investor mentor neighbour conference vip remote football ' +
  'choir startup alumni'
).split(' ');
const TYPES = ['FAMILY', 'FRIEND', 'COLLEAGUE', 'BUSINESS', 'ACQUAINTANCE', 'OTHER'] as const;
const HOW = ['', '', 'Met at a conference', 'Introduced by a friend', 'University', 'Former colleague'];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

type Seeded = {
  relationships: number;
  relationshipsMs: number;
  interactions: number;
  interactionsMs: number;
};

/** Migrates the database, creates the bench user and bulk-inserts its data through Drizzle. */
async function seed(env: NodeJS.ProcessEnv): Promise<Seeded> {
  const config = loadConfig(env);
  const database = await openConfiguredDatabase(config);
  try {
    const users = createUsersService({ config, database });
    const user = await users.createUser({
      username: USERNAME,
      email: 'bench@example.com',
      password: PASSWORD,
    });
    const db = database.db;
    const rand = mulberry32(42);
    const now = Date.now();
    const BATCH = 1000;

    const ids: number[] = [];
    const t0 = performance.now();
    for (let start = 0; start < ROWS; start += BATCH) {
      const batch: (typeof relationships.$inferInsert)[] = [];
      for (let i = start; i < Math.min(ROWS, start + BATCH); i++) {
        const first = pick(rand, FIRST);
        const last = pick(rand, LAST);
        const createdAt = new Date(now - Math.floor(rand() * 3 * 365 * 86_400_000));
        const tags = [...new Set(Array.from({ length: Math.floor(rand() * 4) }, () => pick(rand, TAGS)))];
        batch.push({
          userId: user.id,
          name: `${first} ${last}`,
          relationshipType: pick(rand, TYPES),
          email: rand() < 0.8 ? `${first}.${last}${i}@example.com`.toLowerCase() : '',
          phone: rand() < 0.7 ? `+1 ${200 + Math.floor(rand() * 800)} 555 ${String(i).padStart(4, '0')}` : '',
          company: pick(rand, COMPANIES),
          birthday:
            rand() < 0.4
              ? `19${60 + Math.floor(rand() * 40)}-0${1 + Math.floor(rand() * 9)}-1${Math.floor(rand() * 9)}`
              : null,
          howWeMet: pick(rand, HOW),
          tags,
          createdAt,
          updatedAt: createdAt,
        });
      }
      const rows = await db.insert(relationships).values(batch).returning({ id: relationships.id });
      for (const r of rows) ids.push(r.id);
    }
    const relationshipsMs = performance.now() - t0;

    const t1 = performance.now();
    for (let start = 0; ids.length > 0 && start < INTERACTIONS; start += BATCH) {
      const batch: (typeof interactions.$inferInsert)[] = [];
      for (let i = start; i < Math.min(INTERACTIONS, start + BATCH); i++) {
        batch.push({
          userId: user.id,
          interactionType: pick(rand, ['VIDEO_CALL', 'PHONE_CALL', 'MEETING', 'IN_PERSON'] as const),
          title: `Catch-up #${i}`,
          summary: 'Talked about work, family and the next trip.',
          occurredAt: new Date(now - Math.floor(rand() * 2 * 365 * 86_400_000)),
        });
      }
      const rows = await db.insert(interactions).values(batch).returning({ id: interactions.id });
      const participants: (typeof interactionParticipants.$inferInsert)[] = [];
      for (const row of rows) {
        const people = new Set(Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(rand, ids)));
        for (const relationshipId of people) participants.push({ interactionId: row.id, relationshipId });
      }
      if (participants.length > 0) await db.insert(interactionParticipants).values(participants);
    }
    const interactionsMs = performance.now() - t1;
    // Fresh planner statistics, as autovacuum would have produced in a long-running install.
    await db.execute(sql`ANALYZE`);
    return { relationships: ROWS, relationshipsMs, interactions: INTERACTIONS, interactionsMs };
  } finally {
    await database.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The server child process.

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(ext)) {
      newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  return newest;
}

let resolvedCommand: { args: string[]; label: string } | undefined;

/** The command that runs `rapport serve`: the build output, rebuilt first when src/ is newer. */
function serverCommand(): { args: string[]; label: string } {
  resolvedCommand ??= resolveServerCommand();
  return resolvedCommand;
}

function resolveServerCommand(): { args: string[]; label: string } {
  const tsxArgs = {
    args: ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href],
    label: 'tsx src/cli.ts',
  };
  if (SERVER_MODE === 'tsx')
    return { args: [...tsxArgs.args, path.join(ROOT, 'src/cli.ts')], label: tsxArgs.label };
  const cli = path.join(ROOT, 'dist/cli.js');
  const stale =
    !fs.existsSync(cli) ||
    newestMtime(path.join(ROOT, 'src'), '.ts') > newestMtime(path.join(ROOT, 'dist'), '.js');
  if (stale) {
    console.log('dist/ is missing or older than src/: running `npm run build`…');
    const result = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) {
      console.log('build failed; running the server from src/ with tsx instead');
      return { args: [...tsxArgs.args, path.join(ROOT, 'src/cli.ts')], label: tsxArgs.label };
    }
  }
  return { args: [cli], label: 'node dist/cli.js' };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

type Server = { child: ChildProcess; base: string; stop(): Promise<void> };

async function startServer(
  env: NodeJS.ProcessEnv,
  cwd: string,
  profDir: string | undefined,
): Promise<Server> {
  const port = await freePort();
  const { args } = serverCommand();
  const profArgs = profDir ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
  const child = spawn(process.execPath, [...profArgs, ...args, 'serve'], {
    cwd, // not the repo: a .env there must not leak into the benchmark
    env: { ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d) => {
    output = (output + d).slice(-4000);
  });
  child.stderr?.on('data', (d) => {
    output = (output + d).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
  };
  cleanups.push(stop);

  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output}`);
    try {
      const res = await fetch(`${base}/api/health/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not become healthy:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, base, stop };
}

// ---------------------------------------------------------------------------------------------
// Resource sampling (Linux /proc; "n/a" elsewhere).

const CLK_TCK = 100;

function procCpuSeconds(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
  } catch {
    return undefined;
  }
}

function rssMb(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds of every local process named `postgres` (the server's backends), if any. */
function postgresCpuSeconds(): number | undefined {
  let total = 0;
  let found = false;
  try {
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // exited meanwhile
      }
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
      found = true;
    }
  } catch {
    return undefined;
  }
  return found ? total : undefined;
}

type Usage = {
  serverCpu?: number;
  /** All local `postgres` processes (when the server runs on this machine). */
  postgresCpu?: number;
  /** Machine CPU% not explained by the server, the load generator or local PostgreSQL. */
  otherCpu?: number;
  loadgenCpu: number;
  machineBusy?: number;
  /** Machine CPU% just before the run, with the bench idle: other processes' load. */
  backgroundBusy?: number;
  rssPeak?: number;
  rssEnd?: number;
};

/** Machine CPU% (100 = one core) over one second while the bench and its server are idle. */
async function backgroundCpu(): Promise<number | undefined> {
  const m0 = machineCpu();
  await new Promise((r) => setTimeout(r, 1000));
  const m1 = machineCpu();
  if (!m0 || !m1) return undefined;
  return ((m1.busy - m0.busy) / (m1.total - m0.total)) * 100 * os.cpus().length;
}

/** Runs `fn` while sampling the server's RSS and CPU, the load generator's CPU and the whole machine. */
async function measured<T>(pid: number, fn: () => Promise<T>): Promise<{ value: T; usage: Usage }> {
  const wall0 = performance.now();
  const srv0 = procCpuSeconds(pid);
  const pg0 = postgresCpuSeconds();
  const self0 = process.cpuUsage();
  const mach0 = machineCpu();
  let rssPeak = rssMb(pid);
  const sampler = setInterval(() => {
    const r = rssMb(pid);
    if (r !== undefined) rssPeak = Math.max(rssPeak ?? 0, r);
  }, 250);
  try {
    const value = await fn();
    const wall = (performance.now() - wall0) / 1000;
    const srv1 = procCpuSeconds(pid);
    const pg1 = postgresCpuSeconds();
    const self = process.cpuUsage(self0);
    const mach1 = machineCpu();
    const usage: Usage = {
      loadgenCpu: ((self.user + self.system) / 1e6 / wall) * 100,
      rssEnd: rssMb(pid),
      rssPeak,
    };
    if (srv0 !== undefined && srv1 !== undefined) usage.serverCpu = ((srv1 - srv0) / wall) * 100;
    if (pg0 !== undefined && pg1 !== undefined) usage.postgresCpu = ((pg1 - pg0) / wall) * 100;
    if (mach0 && mach1) {
      usage.machineBusy = ((mach1.busy - mach0.busy) / (mach1.total - mach0.total)) * 100 * os.cpus().length;
      usage.otherCpu = Math.max(
        0,
        usage.machineBusy - (usage.serverCpu ?? 0) - usage.loadgenCpu - (usage.postgresCpu ?? 0),
      );
    }
    return { value, usage };
  } finally {
    clearInterval(sampler);
  }
}

// ---------------------------------------------------------------------------------------------
// Load.

type Endpoint = {
  key: string;
  label: string;
  method: 'GET' | 'POST';
  path: string;
  body?: () => string;
  expect: number;
};

let created = 0;
/** A valid new person, different on every request (autocannon's `[<id>]` miscounts Content-Length). */
function createBody(): string {
  created++;
  return JSON.stringify({
    name: `Bench Person ${created}`,
    relationship_type: 'FRIEND',
    email: `bench.${created}@example.com`,
    phone: `+1 555 ${String(created % 10_000).padStart(4, '0')}`,
    company: 'Acme',
    how_we_met: 'Load test',
    tags: ['bench', 'load'],
  });
}

const ALL_ENDPOINTS: Endpoint[] = [
  { key: 'list', label: 'GET /api/relationships/', method: 'GET', path: '/api/relationships/', expect: 200 },
  {
    key: 'search',
    label: `GET ?search=${SEARCH_TERM}`,
    method: 'GET',
    path: `/api/relationships/?search=${SEARCH_TERM}`,
    expect: 200,
  },
  {
    key: 'create',
    label: 'POST /api/relationships/',
    method: 'POST',
    path: '/api/relationships/',
    body: createBody,
    expect: 201,
  },
];

function cannon(base: string, token: string, ep: Endpoint, duration: number): Promise<autocannon.Result> {
  const headers: Record<string, string> = { authorization: `Token ${token}` };
  const makeBody = ep.body;
  if (makeBody) headers['content-type'] = 'application/json';
  return autocannon({
    url: base,
    connections: CONNECTIONS,
    duration,
    requests: [
      {
        method: ep.method,
        path: ep.path,
        headers,
        // A fresh body per request; GETs reuse one prebuilt request buffer.
        ...(makeBody ? { setupRequest: (req: autocannon.Request) => ({ ...req, body: makeBody() }) } : {}),
      },
    ],
  });
}

type Row = {
  target: string;
  endpoint: string;
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statuses: string;
  usage: Usage;
  note: string;
};

// ---------------------------------------------------------------------------------------------
// CPU profile summary.

type ProfileNode = {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
};
type Profile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

function category(url: string, fn: string): string {
  if (fn === '(garbage collector)') return '(gc)';
  if (fn.startsWith('(')) return fn;
  if (!url) return '(native)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1]!;
  if (url.startsWith('node:')) return 'node:internal';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  return path.relative(ROOT, file);
}

function summariseProfile(file: string): void {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const fnTotals = new Map<string, number>();
  const catTotals = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    total += us;
    if (functionName === '(idle)') continue;
    busy += us;
    const cat = category(url, functionName);
    const where = /node_modules\/(.+)$/.exec(url)?.[1] ?? cat;
    const key = `${functionName || '(anonymous)'}  ${where}${url ? `:${lineNumber + 1}` : ''}`;
    fnTotals.set(key, (fnTotals.get(key) ?? 0) + us);
    catTotals.set(cat, (catTotals.get(cat) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  console.log(
    `\nCPU profile ${file}\n  busy ${(busy / 1e6).toFixed(1)} s of ${(total / 1e6).toFixed(1)} s sampled; self time as % of busy:`,
  );
  console.log('  by package / file:');
  for (const [k, us] of [...catTotals].sort((a, b) => b[1] - a[1]).slice(0, 18))
    console.log(`   ${pct(us)}  ${k}`);
  console.log('  by function:');
  for (const [k, us] of [...fnTotals].sort((a, b) => b[1] - a[1]).slice(0, 25))
    console.log(`   ${pct(us)}  ${k}`);
}

// ---------------------------------------------------------------------------------------------
// One target.

type Target = { name: 'pglite' | 'postgres'; databaseUrl?: string };

async function createBenchDatabase(adminUrl: string): Promise<string> {
  const name = `rapport_bench_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  if (process.env.BENCH_KEEP_DB) console.log(`BENCH_KEEP_DB: database ${name} is kept; drop it yourself`);
  else
    cleanups.push(async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        // WITH (FORCE) needs PostgreSQL 13+; the server child is stopped by now anyway.
        await client
          .query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)
          .catch(() => client.query(`DROP DATABASE IF EXISTS "${name}"`));
      } finally {
        await client.end();
      }
    });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function runTarget(target: Target): Promise<Row[]> {
  const rows: Row[] = [];
  try {
    const dataDir = tempDir(`rapport-bench-${target.name}-`);
    const databaseUrl = target.databaseUrl ? await createBenchDatabase(target.databaseUrl) : '';
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'silent',
      DEBUG: 'false',
      NODE_ENV: 'production',
    };

    console.log(`\n== ${target.name}${databaseUrl ? ` (${new URL(databaseUrl).pathname.slice(1)})` : ''} ==`);
    const s = await seed(env);
    const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString('en-US');
    console.log(
      `seeded ${s.relationships} relationships in ${(s.relationshipsMs / 1000).toFixed(2)} s (${rate(s.relationships, s.relationshipsMs)} rows/s, batches of 1000 via Drizzle), ` +
        `${s.interactions} interactions + participants in ${(s.interactionsMs / 1000).toFixed(2)} s`,
    );

    let profDir: string | undefined;
    if (CPU_PROF) {
      profDir =
        CPU_PROF === '1'
          ? fs.mkdtempSync(path.join(os.tmpdir(), `rapport-bench-prof-${target.name}-`))
          : path.resolve(CPU_PROF, target.name);
      fs.mkdirSync(profDir, { recursive: true });
    }
    const t0 = performance.now();
    const server = await startServer(env, dataDir, profDir);
    const pid = server.child.pid!;
    console.log(
      `server (${serverCommand().label}${profDir ? ', --cpu-prof' : ''}) pid ${pid} ready in ${((performance.now() - t0) / 1000).toFixed(1)} s, RSS ${rssMb(pid)?.toFixed(0) ?? 'n/a'} MB`,
    );

    const login = await fetch(`${server.base}/api/auth/users/login/`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const { token } = (await login.json()) as { token: string };

    for (const ep of ALL_ENDPOINTS.filter((e) => ENDPOINTS.includes(e.key))) {
      // One request first: the figure is meaningless if the endpoint does not answer as expected.
      const probe = await fetch(server.base + ep.path, {
        method: ep.method,
        headers: {
          authorization: `Token ${token}`,
          ...(ep.body ? { 'content-type': 'application/json' } : {}),
        },
        ...(ep.body ? { body: ep.body() } : {}),
      });
      const probeBody = (await probe.json()) as { count?: number; results?: unknown[] };
      if (probe.status !== ep.expect) {
        throw new Error(
          `${ep.label}: expected ${ep.expect}, got ${probe.status} ${JSON.stringify(probeBody)}`,
        );
      }
      let note = '';
      if (ep.method === 'GET') {
        note = `${probeBody.results?.length} of ${probeBody.count} rows`;
        if (ep.key === 'search') note += ` (${(((probeBody.count ?? 0) / ROWS) * 100).toFixed(1)}%)`;
      }

      // CPU used by other processes while this bench is idle: non-zero means the figures are shared.
      const background = await backgroundCpu();
      if (WARMUP > 0) await cannon(server.base, token, ep, WARMUP);
      const { value: r, usage } = await measured(pid, () => cannon(server.base, token, ep, DURATION));
      usage.backgroundBusy = background;
      const statuses = Object.entries(r.statusCodeStats ?? {})
        .map(([code, v]) => `${code}:${v.count ?? 0}`)
        .join(' ');
      rows.push({
        target: target.name,
        endpoint: ep.label,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        requests: r.requests.total,
        errors: r.errors, // autocannon counts timeouts among errors
        timeouts: r.timeouts,
        non2xx: r.non2xx,
        statuses,
        usage,
        note,
      });
      const last = rows.at(-1)!;
      console.log(
        `  ${ep.label}: ${last.rps.toFixed(0)} req/s, p50 ${last.p50} ms, p99 ${last.p99} ms, ` +
          `${last.errors} errors (${last.timeouts} timeouts), ${last.non2xx} non-2xx${last.non2xx > 0 ? ` (${last.statuses})` : ''}`,
      );
    }

    await server.stop();
    if (profDir) {
      for (const f of fs.readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'))) {
        summariseProfile(path.join(profDir, f));
      }
    }
  } finally {
    // This target's server, database and temp dirs go now (reverse order of creation).
    await runCleanups();
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// Output.

function printTable(rows: Row[], header = false): void {
  const fmt = (n: number | undefined, digits = 0) => (n === undefined ? 'n/a' : n.toFixed(digits));
  const table = [
    [
      'target',
      'endpoint',
      'req/s',
      'p50 ms',
      'p99 ms',
      'requests',
      'errors',
      'non-2xx',
      'srv RSS MB (peak)',
      'srv CPU%',
      'pg CPU%',
      'loadgen CPU%',
      'machine CPU%',
      'other CPU%',
      'bg CPU%',
      'notes',
    ],
    ...rows.map((r) => [
      r.target,
      r.endpoint,
      fmt(r.rps),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      String(r.requests),
      r.timeouts > 0 ? `${r.errors} (${r.timeouts} timeouts)` : String(r.errors),
      r.non2xx > 0 ? `${r.non2xx} (${r.statuses})` : '0',
      `${fmt(r.usage.rssEnd)} (${fmt(r.usage.rssPeak)})`,
      fmt(r.usage.serverCpu),
      fmt(r.usage.postgresCpu),
      fmt(r.usage.loadgenCpu),
      fmt(r.usage.machineBusy),
      fmt(r.usage.otherCpu),
      fmt(r.usage.backgroundBusy),
      r.note,
    ]),
  ];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (i >= 2 && i <= 14 ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ');
  if (header) console.log(`\n${'='.repeat(widths.reduce((a, b) => a + b + 2, -2))}`);
  console.log(line(table[0]!));
  for (const row of table.slice(1)) console.log(line(row));
}

async function main(): Promise<void> {
  const targets: Target[] = [{ name: 'pglite' }];
  if (process.env.DATABASE_URL) targets.push({ name: 'postgres', databaseUrl: process.env.DATABASE_URL });
  const wanted = process.env.BENCH_TARGETS?.split(',').map((s) => s.trim());
  const selected = wanted ? targets.filter((t) => wanted.includes(t.name)) : targets;

  console.log(
    `Rapport API bench: ${os.cpus().length} CPUs, node ${process.version}, ${CONNECTIONS} connections, ` +
      `${DURATION} s per endpoint after ${WARMUP} s warm-up, ${ROWS} relationships, ${INTERACTIONS} interactions`,
  );
  const rows: Row[] = [];
  let failed = false;
  for (const target of selected) {
    try {
      rows.push(...(await runTarget(target)));
    } catch (error) {
      failed = true;
      console.error(`\n${target.name}: benchmark failed:`, error);
    }
  }
  console.log(
    '\nSummary. CPU% columns: 100 = one core, machine max ' +
      `${os.cpus().length * 100}. srv = server process; pg = local postgres processes; loadgen = ` +
      'autocannon (this process); other = rest of the machine during the run; bg = machine with the ' +
      'bench idle just before the run. Errors or non-2xx invalidate a figure.',
  );
  printTable(rows, true);
  if (rows.some((r) => r.non2xx > 0 || r.errors > 0))
    console.log('\nWARNING: some runs had errors or non-2xx responses.');
  if (rows.some((r) => (r.usage.backgroundBusy ?? 0) > 20 || (r.usage.otherCpu ?? 0) > 20))
    console.log(
      'WARNING: other processes were using CPU (other or bg CPU%): these are not idle-machine figures.',
    );
  process.exitCode = failed ? 1 : 0;
}

try {
  await main();
} finally {
  await runCleanups();
}
