import type { EventEmitter } from 'node:events';
import autocannon from 'autocannon';
import { type ClientCredentials, signedHeaders } from '../src/client/signing.js';
import type { Scenario } from './scenarios.js';

/*
 * One load run: autocannon against the server on 127.0.0.1 for a fixed time. Headers are signed
 * just before each run (a run lasts far less than the 300 s signature window). Latencies are
 * collected from every response with sub-millisecond resolution (autocannon's own histogram
 * keeps whole milliseconds), and their percentiles computed exactly.
 */

export interface RunResult {
  connections: number;
  seconds: number;
  requests: number;
  /** Requests per second over the run. */
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Non-2xx answers and socket errors (the API answers errors with HTTP 200: see `check`). */
  errors: number;
  timeouts: number;
  bytesPerResponse: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export async function loadRun(
  baseUrl: string,
  scenario: Scenario,
  credentials: ClientCredentials | undefined,
  options: { connections: number; seconds: number },
): Promise<RunResult> {
  const headers: Record<string, string> = credentials ? await signedHeaders(credentials) : {};
  if (scenario.body) headers['content-type'] = 'application/json';
  const body = scenario.body ? JSON.stringify(scenario.body) : undefined;
  const rotate = scenario.rotate;
  let turn = 0;
  const request: autocannon.Request = {
    method: scenario.method,
    path: scenario.path.replace('{id}', String(rotate?.[0] ?? '')),
    headers,
    body,
  };
  if (rotate) {
    request.setupRequest = (req) => ({
      ...req,
      path: scenario.path.replace('{id}', String(rotate[turn++ % rotate.length])),
    });
  }
  const latencies: number[] = [];
  const instance = autocannon({
    url: baseUrl,
    connections: options.connections,
    duration: options.seconds,
    timeout: 30,
    requests: [request],
  }) as unknown as Promise<autocannon.Result> & EventEmitter; // the instance is an emitter as well as a promise
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime);
  });
  const result = await instance;
  const sorted = Float64Array.from(latencies).sort();
  const total = sorted.reduce((s, v) => s + v, 0);
  return {
    connections: options.connections,
    seconds: options.seconds,
    requests: result.requests.total,
    rps: Math.round((result.requests.total / (result.duration || options.seconds)) * 10) / 10,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted[sorted.length - 1] ?? 0),
    mean: round(sorted.length ? total / sorted.length : 0),
    errors: result.errors + result.non2xx,
    timeouts: result.timeouts,
    bytesPerResponse: result.requests.total ? Math.round(result.throughput.total / result.requests.total) : 0,
  };
}

/** Sends the scenario once and returns the envelope's code and the body's size. */
export async function check(
  baseUrl: string,
  scenario: Scenario,
  credentials: ClientCredentials | undefined,
): Promise<{ code: number; bytes: number; body: any }> {
  const headers: Record<string, string> = credentials ? await signedHeaders(credentials) : {};
  if (scenario.body) headers['content-type'] = 'application/json';
  const res = await fetch(baseUrl + scenario.path.replace('{id}', String(scenario.rotate?.[0] ?? '')), {
    method: scenario.method,
    headers,
    body: scenario.body ? JSON.stringify(scenario.body) : undefined,
  });
  const text = await res.text();
  const body = JSON.parse(text);
  return { code: res.status === 200 ? body.code : res.status, bytes: Buffer.byteLength(text), body };
}
