/**
 * The `kosh` command: serve, migrate, seed, verify.
 */
import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { createApp, createContext, declareBackgroundWork, openConfiguredDatabase, version } from '../app.js';
import { verifyAuditChain } from '../modules/audit/index.js';
import { checkIntegrity } from '../modules/ledger/index.js';
import { ConfigError, loadConfig, type Config } from '../platform/config.js';
import { DataDirLockedError } from '../platform/db/data-dir-lock.js';
import { rotateJwtSecret } from '../platform/secrets.js';
import { DEMO_PASSWORD, seedDemoData } from './seed.js';

const HELP = `kosh ${version}: an open-source digital bank

Usage: kosh <command>

Commands:
  serve     Start the API and documentation (migrates; seeds an empty database with demo data);
            runs the background jobs too unless JOBS_IN_PROCESS=false
  worker    Run the background jobs only: outbox relay, e-mail, SMS, webhooks, schedules (needs
            DATABASE_URL; run any number of them beside servers started with JOBS_IN_PROCESS=false)
  migrate   Apply pending database migrations
  seed      Load the demo data into an empty database
  verify    Check the books and the audit hash chain: prints each problem, exits 1 when there is any
  rotate-keys
            Start signing access tokens with a new key kept in the data directory; tokens signed
            with the old key stay valid until they expire (takes effect when the server restarts)
  help      Show this help

Configuration comes from the environment; see .env.example.`;

async function withContext<T>(config: Config, work: (context: Awaited<ReturnType<typeof createContext>>) => Promise<T>): Promise<T> {
  const database = await openConfiguredDatabase(config);
  try {
    return await work(await createContext({ config, database }));
  } finally {
    await database.close();
  }
}

/**
 * Serves with several worker processes on one port (node:cluster), for a PostgreSQL server: the
 * primary migrates and seeds, then forks the workers and restarts any that dies. Workers share
 * nothing but the database, as any copies of Kosh do.
 */
async function serveCluster(config: Config): Promise<void> {
  await withContext(config, async (context) => {
    if (config.SEED_ON_EMPTY && (await seedDemoData(context))) {
      console.log(`Loaded demo data: customers arjun, priya, rahul; staff admin, auditor; password "${DEMO_PASSWORD}".`);
    }
  });
  let stopping = false;
  const fork = () => cluster.fork({ KOSH_CLUSTER_WORKER: '1' });
  for (let index = 0; index < config.WORKERS; index += 1) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.error(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    setTimeout(fork, 1000);
  });
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill(signal);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function serve(config: Config): Promise<void> {
  const clustered = config.WORKERS > 1;
  if (clustered && cluster.isPrimary) {
    if (config.DATABASE_URL === undefined) {
      throw new ConfigError('WORKERS above 1 needs DATABASE_URL: the embedded database belongs to one process.');
    }
    return serveCluster(config);
  }
  const app = await createApp({ config });
  const log = app.http.log;
  if (!clustered && config.SEED_ON_EMPTY && (await seedDemoData(app.context))) {
    log.info(`Loaded demo data: customers arjun, priya, rahul; staff admin, auditor; password "${DEMO_PASSWORD}".`);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: shutting down`);
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));

  const address = await app.http.listen({ port: config.PORT, host: config.HOST });
  const database = config.DATABASE_URL === undefined ? `PGlite in ${config.dataDir}` : 'PostgreSQL';
  const jobs = app.context.jobs.started ? 'background jobs in this process' : 'no background jobs (JOBS_IN_PROCESS=false: run kosh worker)';
  log.info({ address }, `Kosh ${version} listening on ${address} (API /api/v1, docs /docs, ReDoc /redoc) using ${database}; ${jobs}`);
}

/**
 * Runs the background work without the API: the outbox relay, the consumers' queues and the
 * schedules, against the same PostgreSQL server as the API processes, until SIGINT or SIGTERM.
 */
async function worker(config: Config): Promise<void> {
  if (config.DATABASE_URL === undefined) {
    throw new ConfigError('kosh worker needs DATABASE_URL: the embedded database belongs to one process, and kosh serve runs its jobs itself.');
  }
  const database = await openConfiguredDatabase(config);
  const context = await createContext({ config, database }).catch(async (error: unknown) => {
    await database.close();
    throw error;
  });
  await declareBackgroundWork(context);
  await context.jobs.start();
  console.log(`Kosh ${version} worker running queues ${context.jobs.queues.join(', ')}; mail to ${context.mailer.destination}; SMS by ${context.sms.driver}.`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    console.log(`${signal}: stopping the worker`);
    context
      .shutdown()
      .then(() => database.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function main(argv: string[]): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: false });
  const command = positionals[0] ?? 'serve';
  if (command === 'help' || argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig();
  switch (command) {
    case 'serve':
      await serve(config);
      return -1;
    case 'worker':
      await worker(config);
      return -1;
    case 'migrate':
      await withContext(config, async () => undefined);
      console.log('Database is up to date.');
      return 0;
    case 'seed':
      return withContext(config, async (context) => {
        const seeded = await seedDemoData(context);
        console.log(seeded ? `Loaded the demo data (password "${DEMO_PASSWORD}").` : 'The database already has users; nothing loaded.');
        return 0;
      });
    case 'verify':
      return withContext(config, async (context) => {
        const problems = await checkIntegrity(context.db);
        if (problems.length === 0) {
          console.log('The books are right: no integrity problems.');
        } else {
          for (const problem of problems) console.log(`${problem.problem}\t${problem.subjectId}\t${problem.detail}`);
          console.log(`${problems.length} integrity problem(s).`);
        }
        const chain = await verifyAuditChain(context.db);
        if (chain.valid) {
          console.log(`The audit chain is intact: ${chain.rowsChecked} row(s), head ${chain.headSeq} ${chain.headHash}.`);
        } else {
          const broken = chain.firstBroken;
          console.log(`The audit chain is broken at row ${broken?.seq ?? '?'}: ${broken?.problem ?? 'unknown'} (${chain.rowsChecked} row(s) before it are intact).`);
        }
        return problems.length === 0 && chain.valid ? 0 : 1;
      });
    case 'rotate-keys': {
      if (config.JWT_SECRET !== undefined) {
        console.error('JWT_SECRET is set: rotate by moving its value to JWT_PREVIOUS_SECRETS and setting a new JWT_SECRET, then restart.');
        return 2;
      }
      const kid = rotateJwtSecret({ dataDir: config.dataDir });
      console.log(`New signing key ${kid} in ${config.dataDir}; restart Kosh to sign with it. Tokens signed with the old key stay valid until they expire.`);
      return 0;
    }
    default:
      console.error(`Unknown command "${command}".\n\n${HELP}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof DataDirLockedError) {
      console.error(error.message);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);
