import { getServers, Resolver } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/*
 * Where callbacks may not go unless CALLBACK_ALLOW_PRIVATE_NETWORKS=true: a tenant sets its own
 * callback URL, so without this rule it could make the server POST into the network it runs in
 * (databases, admin consoles, the cloud's metadata service). The check runs on the address the
 * name resolves to, at every attempt, and the request then connects to exactly that address
 * (delivery.ts), so a name that resolves differently the second time (DNS rebinding) gains nothing.
 */

const blocked = new BlockList();
const v4: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT (also Alibaba Cloud metadata 100.100.100.200)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (also cloud metadata 169.254.169.254)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved (6to4 relay)'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (and broadcast)'],
];
const v6: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['100::', 64, 'discard'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique-local (also AWS metadata fd00:ec2::254)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
];
const reasons: { list: BlockList; reason: string }[] = [];
for (const [net, prefix, reason] of v4) {
  blocked.addSubnet(net, prefix, 'ipv4');
  const one = new BlockList();
  one.addSubnet(net, prefix, 'ipv4');
  reasons.push({ list: one, reason });
}
for (const [net, prefix, reason] of v6) {
  blocked.addSubnet(net, prefix, 'ipv6');
  const one = new BlockList();
  one.addSubnet(net, prefix, 'ipv6');
  reasons.push({ list: one, reason });
}

/** The IPv4 address an IPv6 address carries (mapped ::ffff:a.b.c.d, NAT64 64:ff9b::, 6to4 2002::), if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const groups = expandIpv6(lower);
  if (!groups) return undefined;
  const hex = (i: number) => [groups[i]! >> 8, groups[i]! & 255];
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (mapped || nat64) return [...hex(6), ...hex(7)].join('.');
  if (groups[0] === 0x2002) return [...hex(1), ...hex(2)].join('.');
  return undefined;
}

function expandIpv6(address: string): number[] | undefined {
  if (address.includes('.')) return undefined;
  const [head, tail] = address.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const h = part(head);
  const t = part(tail);
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...new Array(fill).fill(0), ...t];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

/** Why a callback may not be delivered to `address` (an IP literal), or undefined when it may. */
export function forbiddenAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (blocked.check(address, type)) return reasons.find((r) => r.list.check(address, type))?.reason ?? 'reserved';
  if (family === 6) {
    const inner = embeddedIpv4(address);
    if (inner) return forbiddenAddress(inner);
  }
  return undefined;
}

/** A refusal to deliver: a failed attempt, retried on the schedule like any other. */
export class AddressRefused extends Error {}

/** A name that could not be resolved in time, or at all: a failed attempt like any other. */
export class ResolutionFailed extends Error {}

export interface ResolveOptions {
  /** The DNS servers asked (CALLBACK_DNS_SERVERS); empty: the system's (/etc/resolv.conf). */
  servers: readonly string[];
  /** The most the resolution may take, waiting for a turn included. */
  deadlineMs: number;
  /** Cancels the resolution (the dispatcher stopping). */
  signal?: AbortSignal;
  /** Resolutions are bounded per tenant: whose turn this is. */
  tenantId?: number;
}

/**
 * Resolutions in progress at once per tenant. c-ares (dns.Resolver) runs off the libuv thread
 * pool, so a server that never answers holds no thread; this bounds the sockets and queries one
 * tenant's unanswered names keep open, and the others wait for a turn within their deadline.
 */
export const RESOLUTIONS_PER_TENANT = 4;
const resolving = new Map<number, { active: number; waiting: (() => void)[] }>();

/** Waits for a resolution turn of `tenantId`; the returned function gives it back. */
function turn(tenantId: number | undefined, signal: AbortSignal): Promise<() => void> {
  if (tenantId === undefined) return Promise.resolve(() => undefined);
  let slot = resolving.get(tenantId);
  if (!slot) {
    slot = { active: 0, waiting: [] };
    resolving.set(tenantId, slot);
  }
  const s = slot;
  const release = () => {
    const next = s.waiting.shift();
    if (next) return next();
    s.active--;
    if (s.active === 0) resolving.delete(tenantId);
  };
  if (s.active < RESOLUTIONS_PER_TENANT) {
    s.active++;
    return Promise.resolve(release);
  }
  return new Promise((resolve, reject) => {
    const go = () => {
      signal.removeEventListener('abort', give);
      resolve(release);
    };
    const give = () => {
      s.waiting.splice(s.waiting.indexOf(go), 1);
      reject(signal.reason);
    };
    s.waiting.push(go);
    signal.addEventListener('abort', give, { once: true });
  });
}

const LOCALHOST = /^(?:.+\.)?localhost\.?$/i;

/** Codes that mean "no address of this family", not a failure to ask. */
const NO_ADDRESS = new Set(['ENODATA', 'ENOTFOUND']);

/**
 * Every A and AAAA address of `host`, asked of the DNS servers directly with dns.Resolver
 * (c-ares): dns.lookup would run getaddrinfo on the libuv thread pool — four threads shared with
 * file, crypto and compression work — with no timeout, so a callback domain whose DNS drops
 * queries would hold those threads and stall every other tenant's deliveries, console sign-ins
 * and exports. The price: a name only in /etc/hosts (or another NSS source) is not resolved.
 */
async function resolveName(host: string, options: ResolveOptions): Promise<{ address: string; family: 4 | 6 }[]> {
  const deadline = new AbortController();
  const timer = setTimeout(
    () => deadline.abort(new ResolutionFailed(`could not resolve ${host} within ${options.deadlineMs} ms`)),
    options.deadlineMs,
  );
  const onAbort = () => deadline.abort(new ResolutionFailed('abandoned: the dispatcher is stopping'));
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  let release: (() => void) | undefined;
  // Each query is tried once per server, each server given its share of the deadline (a dead first
  // server leaves time for the next); the deadline cancels what is left.
  const servers = options.servers.length || getServers().length || 1;
  const resolver = new Resolver({ timeout: Math.max(50, Math.floor(options.deadlineMs / servers)), tries: 1 });
  try {
    release = await turn(options.tenantId, deadline.signal);
    if (options.servers.length > 0) resolver.setServers([...options.servers]);
    const cancelled = new Promise<never>((_, reject) => {
      const stop = () => {
        resolver.cancel();
        reject(deadline.signal.reason);
      };
      if (deadline.signal.aborted) stop();
      else deadline.signal.addEventListener('abort', stop, { once: true });
    });
    const family = (ask: Promise<string[]>, f: 4 | 6) =>
      ask.then(
        (list) => list.map((address) => ({ address, family: f })),
        (error: NodeJS.ErrnoException) => {
          if (error.code && NO_ADDRESS.has(error.code)) return [];
          throw error;
        },
      );
    const both = Promise.all([family(resolver.resolve4(host), 4), family(resolver.resolve6(host), 6)]);
    // The query that loses the race to the deadline is cancelled: its rejection is expected.
    both.catch(() => undefined);
    const [a, aaaa] = await Promise.race([both, cancelled]);
    return [...a, ...aaaa];
  } catch (error) {
    if (error instanceof ResolutionFailed) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ETIMEOUT') throw new ResolutionFailed(`could not resolve ${host} within ${options.deadlineMs} ms`);
    throw new ResolutionFailed(`cannot resolve ${host}: ${code ?? (error as Error).message}`);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    deadline.abort();
    resolver.cancel();
    release?.();
  }
}

/**
 * The address to connect to for `hostname`: an IP literal as it is, a name resolved (every
 * address it has). Unless private networks are allowed, any forbidden address among them refuses
 * the delivery: a name that resolves to both a public and a private address is not trusted. The
 * refusal does not say the address: the delivery log would otherwise tell a tenant what an
 * internal name resolves to.
 */
export async function resolveDeliveryAddress(
  hostname: string,
  allowPrivate: boolean,
  options: ResolveOptions,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const literal = isIP(host);
  const addresses =
    literal !== 0
      ? [{ address: host, family: literal as 4 | 6 }]
      : LOCALHOST.test(host)
        ? // RFC 6761: loopback by definition, asked of no server (it is in /etc/hosts, not DNS).
          [
            { address: '127.0.0.1', family: 4 as const },
            { address: '::1', family: 6 as const },
          ]
        : await resolveName(host, options);
  if (addresses.length === 0) throw new ResolutionFailed(`cannot resolve ${host}: it has no A or AAAA address`);
  if (!allowPrivate) {
    for (const a of addresses) {
      if (forbiddenAddress(a.address) === undefined) continue;
      throw new AddressRefused(
        literal !== 0
          ? `refused: ${host} is a private or reserved address (set CALLBACK_ALLOW_PRIVATE_NETWORKS=true to allow private networks)`
          : `refused: ${host} resolves to a private or reserved address (set CALLBACK_ALLOW_PRIVATE_NETWORKS=true to allow private networks)`,
      );
    }
  }
  return addresses[0]!;
}

/**
 * Why deliveries to `url` would be refused while CALLBACK_ALLOW_PRIVATE_NETWORKS is off (its host
 * is, or resolves to, a loopback, private or reserved address), or undefined when they would not
 * be, or the name does not resolve now (a delivery then fails for that reason, said in its log).
 * Resolved as a delivery resolves it.
 */
export async function privateCallbackReason(url: string, options: ResolveOptions): Promise<string | undefined> {
  if (!URL.canParse(url)) return undefined;
  try {
    await resolveDeliveryAddress(new URL(url).hostname, false, options);
  } catch (error) {
    if (error instanceof AddressRefused) return error.message.replace(/^refused: /, '').replace(/ \(set .*\)$/, '');
  }
  return undefined;
}
