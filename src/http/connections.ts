import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/*
 * Connections of one process, so that idle or slow clients cannot crowd out the others. Node
 * refuses connections beyond `server.maxConnections`, which alone would let 10,000 idle sockets
 * keep every legitimate client out. Here every connection is in one of three states:
 * - waiting: no request in progress (just opened, between two kept-alive requests, or still
 *   sending its headers: a legitimate client sends them in one packet),
 * - receiving: headers read, body still arriving,
 * - busy: the request is whole and being answered.
 * When the open connections come within `reserve` of the cap, the longest-waiting connections,
 * then the longest-receiving ones, are closed to make room; busy ones never are. Each state keeps
 * its sockets in the order they entered it (a Map keeps insertion order), so the oldest is found
 * at once however many there are.
 */

type State = 'waiting' | 'receiving' | 'busy';

export interface ConnectionStats {
  open: number;
  waiting: number;
  receiving: number;
  busy: number;
  /** Connections closed to make room, since start. */
  evicted: number;
  /** The cap in force (after clamping below the file-descriptor limit). */
  max: number;
}

/** The soft limit on open files of this process (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line && line[1] !== 'unlimited' ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Descriptors kept for everything but client connections: database, log, files, the listening socket. */
const DESCRIPTORS_KEPT = 256;

/** The connection cap in force: the configured one, below the file-descriptor limit. */
export function effectiveMaxConnections(configured: number, fileLimit = openFileLimit()): number {
  if (fileLimit === undefined) return configured;
  return Math.max(10, Math.min(configured, fileLimit - DESCRIPTORS_KEPT));
}

export class ConnectionGuard {
  private readonly states = new Map<Socket, State>();
  private readonly byState: Record<State, Map<Socket, true>> = {
    waiting: new Map(),
    receiving: new Map(),
    busy: new Map(),
  };
  private evicted = 0;
  /** Closing starts when this many are open… */
  private readonly highWater: number;
  /** …and closes down to this many, so that it does not run on every new connection. */
  private readonly lowWater: number;

  constructor(
    server: Server,
    readonly max: number,
  ) {
    const reserve = Math.max(2, Math.ceil(max * 0.02));
    this.highWater = max - reserve;
    this.lowWater = Math.max(1, this.highWater - Math.max(1, Math.ceil(max * 0.01)));
    server.maxConnections = max;
    server.on('connection', (socket: Socket) => this.opened(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.requested(request, response));
  }

  private move(socket: Socket, to: State): void {
    const from = this.states.get(socket);
    if (from === undefined) return; // closed already
    if (from !== to) this.byState[from].delete(socket);
    else this.byState[to].delete(socket); // re-inserted last: it entered its state now
    this.states.set(socket, to);
    this.byState[to].set(socket, true);
  }

  private opened(socket: Socket): void {
    this.states.set(socket, 'waiting');
    this.byState.waiting.set(socket, true);
    socket.once('close', () => {
      const state = this.states.get(socket);
      if (state === undefined) return;
      this.states.delete(socket);
      this.byState[state].delete(socket);
    });
    if (this.states.size > this.highWater) this.makeRoom(this.states.size - this.lowWater, socket);
  }

  private requested(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket;
    const hasBody =
      request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    if (!hasBody || request.complete) this.move(socket, 'busy');
    else {
      this.move(socket, 'receiving');
      request.once('end', () => this.move(socket, 'busy'));
    }
    response.once('finish', () => this.move(socket, 'waiting'));
  }

  /** Closes up to `count` connections, longest waiting first, then longest receiving; never `keep`. */
  private makeRoom(count: number, keep: Socket): void {
    for (const state of ['waiting', 'receiving'] as const) {
      for (const socket of this.byState[state].keys()) {
        if (count <= 0) return;
        if (socket === keep) continue;
        this.states.delete(socket);
        this.byState[state].delete(socket);
        socket.destroy();
        this.evicted++;
        count--;
      }
    }
  }

  /** Closes every connection with no request in progress (shutdown). */
  closeWaiting(): void {
    for (const socket of [...this.byState.waiting.keys()]) socket.destroy();
  }

  stats(): ConnectionStats {
    return {
      open: this.states.size,
      waiting: this.byState.waiting.size,
      receiving: this.byState.receiving.size,
      busy: this.byState.busy.size,
      evicted: this.evicted,
      max: this.max,
    };
  }
}
