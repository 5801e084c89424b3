import { createReadStream, existsSync, statSync } from 'node:fs';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { App } from '../app.js';
import { sendFailure } from '../envelope.js';

/*
 * The console's pages, built by Vite into dist/console: files as they are, hashed assets
 * (assets/*, named by their content) cached for a year as immutable, index.html never cached, and
 * index.html for any other path under /console (the page's router decides what it shows). Paths
 * under /console/api/ are never pages: an unknown one is the 404 envelope.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xlsx': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};

/** dist/console of the package this file belongs to (from src/ under tests, from dist/ once built). */
export function defaultConsoleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'console');
    dir = dirname(dir);
  }
  return resolve('dist', 'console');
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>outcall console</title>
<p>The console has not been built: run <code>npm install</code> (or <code>npm run build</code>), then reload.</p>
<p>控制台尚未构建：请先运行 <code>npm install</code>，然后刷新。</p>\n`;

function fileOf(root: string, urlPath: string): string | undefined {
  let relative: string;
  try {
    relative = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (relative.includes('\0')) return undefined;
  const path = normalize(join(root, relative));
  if (path !== root && !path.startsWith(root + sep)) return undefined;
  try {
    return statSync(path).isFile() ? path : undefined;
  } catch {
    return undefined;
  }
}

function sendFile(reply: FastifyReply, path: string, cacheControl: string) {
  const stat = statSync(path);
  return reply
    .type(TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream')
    .header('cache-control', cacheControl)
    .header('content-length', String(stat.size))
    .header('last-modified', stat.mtime.toUTCString())
    .header('x-content-type-options', 'nosniff')
    .send(createReadStream(path));
}

export function registerConsoleStatic(app: App, root = defaultConsoleDir()): void {
  const dir = resolve(root);
  const serve = async (request: FastifyRequest, reply: FastifyReply) => {
    const path = (request.raw.url ?? request.url).split('?')[0]!;
    if (path.startsWith('/console/api/') || path === '/console/api')
      return sendFailure(reply, 404, `资源未找到: ${request.method} ${path} is not an API route`);
    const sub = path === '/console' ? '/' : path.slice('/console'.length);
    const index = join(dir, 'index.html');
    if (!existsSync(index))
      return reply.code(503).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(NOT_BUILT);
    const file = sub === '/' ? undefined : fileOf(dir, sub);
    if (file && file !== index) {
      const immutable = sub.startsWith('/assets/');
      return sendFile(reply, file, immutable ? 'public, max-age=31536000, immutable' : 'public, max-age=3600');
    }
    // A missing asset is a 404, not the page: a stale page asking for an old hash must not get HTML as script.
    if (sub.startsWith('/assets/')) return reply.code(404).type('text/plain; charset=utf-8').send('Not Found\n');
    reply.header('x-frame-options', 'DENY').header('referrer-policy', 'same-origin');
    return sendFile(reply, index, 'no-cache');
  };
  for (const url of ['/console', '/console/*']) app.get(url, { schema: { hide: true } }, serve);
}
