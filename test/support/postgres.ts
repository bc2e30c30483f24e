/**
 * Test harness that runs a real, throw-away PostgreSQL server.
 *
 * Test suites (and later benchmarks) must exercise the same database engine
 * as production, so instead of mocking the database or depending on a server
 * someone has to start by hand, the test command starts its own server from
 * the PostgreSQL binaries installed on the machine. Each server lives in a
 * fresh temporary directory and listens only on 127.0.0.1, so several runs on
 * one machine never see each other's data.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, constants as fsConstants, existsSync, readdirSync, rmSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** A running (or stopped) PostgreSQL server owned by the test process. */
export interface PostgresServer {
  /** URL of the `postgres` maintenance database, as superuser `postgres`. */
  url: string;
  host: string;
  port: number;
  /** The cluster's data directory; `server.log` is written inside it. */
  dataDir: string;
  /** Directory holding the PostgreSQL server binaries that were used. */
  binDir: string;
  /**
   * Stops the server. `'fast'` (the default) is a clean shutdown; `'immediate'`
   * kills the server without a checkpoint, which looks like a crash to the
   * next start and therefore triggers crash recovery. Stopping a server that
   * is not running does nothing.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the server again on the same port and data directory. */
  start(): Promise<void>;
  /** Creates a database on this server and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast) and deletes all of its temporary directories. */
  destroy(): Promise<void>;
}

export interface StartPostgresOptions {
  /** TCP port to listen on; a free port is picked when omitted. */
  port?: number;
  /** Extra server settings (`-c name=value`); they override the defaults. */
  settings?: Record<string, string>;
}

/**
 * Settings that make the server fast for tests while keeping every commit
 * durable across a crash of PostgreSQL itself.
 *
 * fsync=off and full_page_writes=off only give up safety against a crash of
 * the *machine* (the OS page cache is lost), which does not matter for a
 * cluster that is deleted after the run. A crash of PostgreSQL
 * (`stop('immediate')`) is still recovered correctly, because the WAL has
 * reached the OS page cache and is replayed at the next start.
 *
 * synchronous_commit is deliberately left at its default (on). With it off, a
 * commit is acknowledged before its WAL leaves PostgreSQL's shared memory, so
 * an immediate stop loses recently committed transactions. We measured this:
 * a table created and filled just before `stop('immediate')` was gone after
 * the restart, which would make crash tests report lost money that the
 * application did in fact persist. With fsync=off, turning synchronous_commit
 * off gave no measurable speed-up (8000 commits took about 0.6 s either way),
 * so there is nothing to gain. Callers can still pass it in `settings`.
 *
 * max_connections is raised because many test files run in parallel, each
 * with its own connection pool.
 */
const DEFAULT_SETTINGS: Readonly<Record<string, string>> = {
  fsync: 'off',
  full_page_writes: 'off',
  max_connections: '300',
  shared_buffers: '128MB',
};

const HOST = '127.0.0.1';
const DATABASE_NAME_PATTERN = /^[a-z0-9_]+$/;
/** PostgreSQL truncates identifiers longer than this many bytes. */
const MAX_IDENTIFIER_LENGTH = 63;
/** How often to retry when a picked free port is taken before the server binds it. */
const PORT_RETRIES = 3;

/**
 * Finds the directory holding `initdb`, `pg_ctl` and `postgres`.
 *
 * Debian and Ubuntu install the server binaries under
 * /usr/lib/postgresql/<version>/bin and do not put them on PATH, so that
 * location is searched first, preferring the highest version. Other systems
 * (Homebrew, Fedora, source builds) usually put `initdb` on PATH.
 */
export function findPostgresBinDir(): string | null {
  const debianRoot = '/usr/lib/postgresql';
  let versions: string[] = [];
  try {
    versions = readdirSync(debianRoot);
  } catch {
    // The directory does not exist on this system; fall through to PATH.
  }
  // Versions are compared numerically so that "15" sorts above "9.6".
  versions.sort((a, b) => compareVersions(b, a));
  for (const version of versions) {
    const binDir = path.join(debianRoot, version, 'bin');
    if (isExecutable(path.join(binDir, 'initdb'))) return binDir;
  }

  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && isExecutable(path.join(dir, 'initdb'))) return dir;
  }
  return null;
}

function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? 0;
    const y = pb[i] ?? 0;
    // Non-numeric directory names (NaN) sort last.
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) ? (Number.isNaN(y) ? 0 : -1) : 1;
    if (x !== y) return x - y;
  }
  return 0;
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 by binding to port 0.
 *
 * The port is released again before PostgreSQL binds it, so another process
 * could take it in between; startPostgres() retries with a new port when that
 * happens.
 */
async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('Could not determine a free TCP port'));
        return;
      }
      const { port } = address;
      server.close(() => resolve(port));
    });
  });
}

/**
 * initdb and postgres refuse to run as root (a superuser-owned server would be
 * a security hole), so when the tests run as root, for example in a container,
 * the binaries are run as the `postgres` system user through runuser.
 */
const runningAsRoot = typeof process.getuid === 'function' && process.getuid() === 0;

function commandLine(binDir: string, program: string, args: string[]): [string, string[]] {
  const executable = path.join(binDir, program);
  return runningAsRoot ? ['runuser', ['-u', 'postgres', '--', executable, ...args]] : [executable, args];
}

/**
 * Runs a PostgreSQL program and returns its output. The working directory is
 * set to a directory the `postgres` user can enter, because PostgreSQL
 * programs fail when they cannot resolve their current directory (the test
 * process may well run from /root).
 */
async function runProgram(
  binDir: string,
  program: string,
  args: string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  const [command, commandArgs] = commandLine(binDir, program, args);
  try {
    const { stdout, stderr } = await execFileAsync(command, commandArgs, {
      cwd,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    return { stdout, stderr };
  } catch (error) {
    // execFile's own message already embeds stderr; build a message that
    // names the program and shows its output exactly once.
    const e = error as NodeJS.ErrnoException & { stdout?: string; stderr?: string; code?: number | string };
    const output = [e.stdout, e.stderr]
      .filter((s): s is string => s !== undefined && s.trim() !== '')
      .map((s) => s.trimEnd())
      .join('\n');
    const reason = typeof e.code === 'number' ? `exited with code ${e.code}` : e.message;
    throw new Error(`${command} ${commandArgs.join(' ')} ${reason}${output === '' ? '' : `\n${output}`}`, {
      cause: error,
    });
  }
}

/** Looks up the uid and gid of the `postgres` system user (only needed as root). */
async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([
    execFileAsync('id', ['-u', 'postgres'], { encoding: 'utf8' }),
    execFileAsync('id', ['-g', 'postgres'], { encoding: 'utf8' }),
  ]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * Quotes a word for /bin/sh. pg_ctl hands its `-o` options to the shell that
 * launches postgres, so setting values and the socket path must be quoted to
 * survive spaces or other special characters.
 */
function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

async function readLogTail(logFile: string, fromByte = 0, lines = 40): Promise<string> {
  try {
    const content = (await readFile(logFile)).subarray(fromByte).toString('utf8');
    return content.trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(server.log could not be read)';
  }
}

async function fileSize(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

/** Returns `url` with its path replaced by the given database name. */
function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * Servers that were started but not yet destroyed. If the test process exits
 * without running its teardown (an uncaught error, process.exit() after
 * Ctrl-C), the servers would otherwise keep running in the background, each
 * holding a port and 128 MB of shared memory, so an exit hook kills them.
 */
const liveServers = new Set<{ binDir: string; dataDir: string; baseDir: string }>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous, hence spawnSync and rmSync.
  process.once('exit', () => {
    for (const server of liveServers) {
      const [command, args] = commandLine(server.binDir, 'pg_ctl', [
        'stop', '-D', server.dataDir, '-m', 'immediate', '-w', '-t', '10',
      ]);
      spawnSync(command, args, { cwd: server.baseDir, stdio: 'ignore' });
      rmSync(server.baseDir, { recursive: true, force: true });
    }
    liveServers.clear();
  });
}

/**
 * Creates a new PostgreSQL cluster in a fresh temporary directory and starts
 * a server for it. The caller owns the server and must call destroy().
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = findPostgresBinDir();
  if (binDir === null) {
    throw new Error(
      'PostgreSQL server binaries not found (looked for initdb in /usr/lib/postgresql/*/bin and on PATH). ' +
        'Install PostgreSQL or set TEST_DATABASE_URL to an existing server.',
    );
  }

  for (const [name, value] of Object.entries(options.settings ?? {})) {
    // The name is placed unquoted after -c, so it must be a plain identifier.
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(name)) throw new Error(`Invalid PostgreSQL setting name: ${name}`);
    if (typeof value !== 'string') throw new Error(`PostgreSQL setting ${name} must be a string`);
  }
  const settings = { ...DEFAULT_SETTINGS, ...options.settings };

  // One temporary directory holds both the data directory and the Unix socket
  // directory, so cleaning up is a single rm. The socket lives in a short path
  // because Unix socket paths are limited to about 107 bytes.
  const baseDir = await mkdtemp(path.join(os.tmpdir(), 'kosh-pg-'));
  const dataDir = path.join(baseDir, 'data');
  const socketDir = path.join(baseDir, 'sock');
  const logFile = path.join(dataDir, 'server.log');
  const tracked = { binDir, dataDir, baseDir };

  try {
    // initdb requires the data directory to be private to its owner.
    await mkdir(dataDir, { mode: 0o700 });
    await mkdir(socketDir, { mode: 0o700 });
    if (runningAsRoot) {
      const { uid, gid } = await postgresUserIds();
      for (const dir of [baseDir, dataDir, socketDir]) await chown(dir, uid, gid);
    }

    // --no-sync skips fsyncing the new cluster, which is most of initdb's
    // run time and pointless for a throw-away cluster. The output is captured
    // and only shown if initdb fails.
    await runProgram(
      binDir,
      'initdb',
      ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-locale', '--no-sync'],
      baseDir,
    );
  } catch (error) {
    await rm(baseDir, { recursive: true, force: true });
    throw error;
  }

  let port = options.port ?? (await findFreePort());
  let running = false;

  const pgCtlStart = async (): Promise<void> => {
    const serverOptions = [
      '-p', String(port),
      '-c', 'listen_addresses=127.0.0.1',
      '-k', shellQuote(socketDir),
      ...Object.entries(settings).flatMap(([name, value]) => ['-c', shellQuote(`${name}=${value}`)]),
    ].join(' ');
    // Remember where this attempt's log output starts, so that the error
    // message shows this attempt and not an earlier start.
    const logOffset = await fileSize(logFile);
    try {
      await runProgram(
        binDir,
        'pg_ctl',
        ['-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', serverOptions, 'start'],
        baseDir,
      );
    } catch (error) {
      const tail = await readLogTail(logFile, logOffset);
      throw new Error(
        `PostgreSQL failed to start on ${HOST}:${port} (data directory ${dataDir}).\n` +
          `${(error as Error).message}\n--- tail of server.log ---\n${tail}`,
        { cause: error },
      );
    }
    running = true;
  };

  const pgCtlStop = async (mode: 'fast' | 'immediate'): Promise<void> => {
    // Without a pid file there is no server to stop (never started, already
    // stopped), and pg_ctl would fail; stopping twice must be harmless.
    if (!running && !existsSync(path.join(dataDir, 'postmaster.pid'))) return;
    await runProgram(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', '60'], baseDir);
    running = false;
  };

  liveServers.add(tracked);
  installExitHook();

  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await pgCtlStart();
        break;
      } catch (error) {
        // A port picked by findFreePort() can be grabbed by another process
        // (for example a parallel test run) before PostgreSQL binds it. That
        // is worth another try with a new port; any other failure is not.
        const portTaken = /Address already in use|could not create any TCP\/IP sockets/.test(
          (error as Error).message,
        );
        if (options.port !== undefined || !portTaken || attempt >= PORT_RETRIES) throw error;
        port = await findFreePort();
      }
    }
  } catch (error) {
    await pgCtlStop('immediate').catch(() => undefined);
    liveServers.delete(tracked);
    await rm(baseDir, { recursive: true, force: true });
    throw error;
  }

  const url = `postgres://postgres@${HOST}:${port}/postgres`;
  let destroyed = false;

  const server: PostgresServer = {
    url,
    host: HOST,
    port,
    dataDir,
    binDir,
    async stop(mode = 'fast') {
      await pgCtlStop(mode);
    },
    async start() {
      if (destroyed) throw new Error('Cannot start a destroyed PostgreSQL server');
      if (running) return;
      await pgCtlStart();
    },
    async createDatabase(name: string) {
      if (!DATABASE_NAME_PATTERN.test(name) || name.length > MAX_IDENTIFIER_LENGTH) {
        throw new Error(`Invalid database name ${JSON.stringify(name)}: use 1-63 of [a-z0-9_]`);
      }
      await createDatabaseOn(url, name);
      return withDatabase(url, name);
    },
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        await pgCtlStop('fast');
      } finally {
        liveServers.delete(tracked);
        await rm(baseDir, { recursive: true, force: true });
      }
    },
  };
  return server;
}

/**
 * Runs CREATE DATABASE on the server at `url`. The name must already be
 * validated; it is interpolated as a quoted identifier because CREATE
 * DATABASE does not accept bind parameters.
 */
async function createDatabaseOn(url: string, name: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query(`CREATE DATABASE "${name}"`);
      return;
    } catch (error) {
      // CREATE DATABASE copies template1 and fails with 55006 (object in use)
      // if some other session is connected to template1 at that moment. That
      // is transient, so retry a few times before giving up.
      const code = (error as { code?: string }).code;
      if (code !== '55006' || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}

/**
 * Creates a uniquely named, empty database on the server at `baseUrl` and
 * returns its URL. Works against any server: one from startPostgres() or one
 * supplied by the user through TEST_DATABASE_URL. Each test file should use
 * its own database so files can run in parallel without seeing each other's
 * rows. The databases are not dropped: the harness's server is thrown away
 * after the run, and on a user's server they are left for inspection.
 */
export async function createTestDatabase(baseUrl: string, prefix: string): Promise<string> {
  // Keep the name a valid unquoted identifier: lowercase letters, digits and
  // underscores, short enough that the random suffix is never truncated away.
  const suffix = randomBytes(6).toString('hex');
  const cleanPrefix = (prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_') || 'test').slice(
    0,
    MAX_IDENTIFIER_LENGTH - suffix.length - 1,
  );
  const name = `${cleanPrefix}_${suffix}`;
  await createDatabaseOn(baseUrl, name);
  return withDatabase(baseUrl, name);
}
