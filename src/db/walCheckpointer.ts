import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/*
 * SQLite WAL checkpoints off the request path. By default the connection that commits past
 * wal_autocheckpoint (1,000 pages) copies the WAL back into the database file and syncs it, inside
 * that commit: a bulk load pays it on the event loop every few batches. Here a worker thread with
 * its own connection to the file runs a PASSIVE checkpoint — which neither waits for nor blocks the
 * writer — after each commit the main connection reports (`committed`) and whenever another
 * connection has committed (pragma data_version, looked at every POLL_MS).
 *
 * The WAL is only written over from its start once a checkpoint has caught up with every commit
 * before the next write begins, which under writes without a pause the worker may never do. So
 * the main connection keeps its own automatic checkpoint, at BACKSTOP_PAGES: past it, a commit
 * copies the little the worker has not (and syncs), and the next write starts the WAL over. A
 * RESTART checkpoint in the worker would bound it too, but holds writers back while it syncs: on
 * a busy disk longer than their busy timeout.
 */

/** How often the worker looks for commits of other connections (no file access when there are none). */
const POLL_MS = 100;
/** The main connection's own automatic checkpoint while the worker runs: 32 MB of 4 KB pages. */
const BACKSTOP_PAGES = 8192;

// CommonJS, evaluated in the worker: it opens the file with the main thread's better-sqlite3.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.file);
const version = db.prepare('pragma data_version').pluck();
const passive = db.prepare('pragma wal_checkpoint(PASSIVE)');
let seen;
let timer;
function look() {
  clearTimeout(timer);
  try {
    const now = version.get();
    if (now !== seen) {
      seen = now;
      const [result] = passive.all();
      parentPort.postMessage({ log: result.log, checkpointed: result.checkpointed });
    }
  } catch (error) {
    parentPort.postMessage({ error: String((error && error.message) || error) });
  }
  timer = setTimeout(look, workerData.pollMs);
}
look();
parentPort.on('message', (m) => {
  if (m === 'committed') return look();
  if (m !== 'stop') return;
  clearTimeout(timer);
  db.close();
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /** Checkpoints the worker has run (tests). */
  readonly checkpoints: number;
  /** To be called after each commit of the main connection: the worker checkpoints what it wrote. */
  committed(): void;
  /** Stops the worker and gives the main connection its automatic checkpoint back. */
  stop(): Promise<void>;
}

/** Starts the checkpointing worker for the file `sqlite` has open in WAL mode. */
export function startWalCheckpointer(sqlite: SqliteDatabase.Database, file: string): WalCheckpointer {
  const restore = sqlite.pragma('wal_autocheckpoint', { simple: true }) as number;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file,
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      pollMs: POLL_MS,
    },
  });
  // It must never keep the process alive: a server that is not shut down still exits.
  worker.unref();
  let checkpoints = 0;
  let running = true;
  worker.on('message', (m: { checkpointed?: number }) => {
    if (m.checkpointed !== undefined) checkpoints++;
  });
  const exited = new Promise<void>((done) => worker.once('exit', () => done()));
  // A worker that fails (the file gone) leaves checkpointing to the main connection again.
  worker.once('error', () => {
    running = false;
    if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${restore}`);
  });
  sqlite.pragma(`wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  return {
    get checkpoints() {
      return checkpoints;
    },
    committed() {
      if (running) worker.postMessage('committed');
    },
    async stop() {
      if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${restore}`);
      if (!running) return;
      running = false;
      // Waited for, it must keep the process alive until it has exited.
      worker.ref();
      worker.postMessage('stop');
      // The worker closes its connection and exits; should it not within a second, it is ended.
      const timeout = setTimeout(() => void worker.terminate(), 1000);
      timeout.unref();
      await exited;
      clearTimeout(timeout);
    },
  };
}
