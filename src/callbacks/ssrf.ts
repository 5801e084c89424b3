import { lookup } from 'node:dns/promises';
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

/**
 * The address to connect to for `hostname`: an IP literal as it is, a name resolved (every
 * address it has). Unless private networks are allowed, any forbidden address among them refuses
 * the delivery: a name that resolves to both a public and a private address is not trusted.
 */
export async function resolveDeliveryAddress(
  hostname: string,
  allowPrivate: boolean,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const literal = isIP(host);
  const addresses =
    literal !== 0
      ? [{ address: host, family: literal as 4 | 6 }]
      : ((await lookup(host, { all: true, verbatim: true })) as { address: string; family: 4 | 6 }[]);
  if (addresses.length === 0) throw new Error(`${host} has no address`);
  if (!allowPrivate) {
    for (const a of addresses) {
      const reason = forbiddenAddress(a.address);
      if (reason)
        throw new AddressRefused(
          `refused: ${host} resolves to ${a.address}, a ${reason} address (set CALLBACK_ALLOW_PRIVATE_NETWORKS=true to allow private networks)`,
        );
    }
  }
  return addresses[0]!;
}

/**
 * Why deliveries to `url` would be refused while CALLBACK_ALLOW_PRIVATE_NETWORKS is off (its host
 * is, or resolves to, a loopback, private or reserved address), or undefined when they would not
 * be, or the name does not resolve now (a delivery then fails for that reason, said in its log).
 */
export async function privateCallbackReason(url: string): Promise<string | undefined> {
  if (!URL.canParse(url)) return undefined;
  const hostname = new URL(url).hostname;
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (isIP(host) !== 0) {
    const reason = forbiddenAddress(host);
    return reason && `${host} is a ${reason} address`;
  }
  try {
    for (const a of await lookup(host, { all: true, verbatim: true })) {
      const reason = forbiddenAddress(a.address);
      if (reason) return `${host} resolves to ${a.address}, a ${reason} address`;
    }
  } catch {
    // Not resolvable now: each delivery attempt says so in the delivery log.
  }
  return undefined;
}
