import { createSocket, type Socket } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

/*
 * A DNS server on 127.0.0.1 for tests, over UDP: either one that answers A and AAAA queries from a
 * table (NXDOMAIN for names it does not know, no answer for a family a name lacks), or one that
 * receives every query and never answers — a domain whose DNS drops queries.
 */
export class TestDnsServer {
  /** Queries received, by name. */
  readonly queries: string[] = [];
  private socket!: Socket;
  port = 0;

  /** `names`: name → its addresses (IPv4 and IPv6 mixed); undefined: never answer. */
  constructor(private readonly names?: Record<string, string[]>) {}

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.socket = createSocket('udp4');
    this.socket.on('message', (message, peer) => {
      const query = parseQuery(message);
      if (!query) return;
      this.queries.push(query.name);
      if (!this.names) return; // the black hole
      const addresses = this.names[query.name.toLowerCase()];
      const answer = answerTo(message, query, addresses);
      this.socket.send(answer, peer.port, peer.address);
    });
    await new Promise<void>((done) => this.socket.bind(0, '127.0.0.1', done));
    this.port = this.socket.address().port;
    return this;
  }

  close(): Promise<void> {
    return new Promise((done) => this.socket.close(() => done()));
  }
}

interface Query {
  name: string;
  type: number;
  /** Where the question ends. */
  end: number;
}

function parseQuery(message: Buffer): Query | undefined {
  if (message.length < 12 || message.readUInt16BE(4) !== 1) return undefined;
  const labels: string[] = [];
  let at = 12;
  while (at < message.length && message[at]! > 0) {
    const length = message[at]!;
    labels.push(message.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
  at += 1;
  if (at + 4 > message.length) return undefined;
  return { name: labels.join('.'), type: message.readUInt16BE(at), end: at + 4 };
}

const A = 1;
const AAAA = 28;

function answerTo(message: Buffer, query: Query, addresses: string[] | undefined): Buffer {
  const header = Buffer.alloc(12);
  message.copy(header, 0, 0, 2); // the id
  // QR, RD, RA; NXDOMAIN for an unknown name.
  header.writeUInt16BE(0x8180 | (addresses ? 0 : 3), 2);
  header.writeUInt16BE(1, 4);
  const records = (addresses ?? [])
    .filter((a) => (query.type === A ? isIPv4(a) : query.type === AAAA && isIPv6(a)))
    .map((a) => {
      const data = query.type === A ? Buffer.from(a.split('.').map(Number)) : ipv6Bytes(a);
      const record = Buffer.alloc(12);
      record.writeUInt16BE(0xc00c, 0); // the question's name
      record.writeUInt16BE(query.type, 2);
      record.writeUInt16BE(1, 4); // IN
      record.writeUInt32BE(60, 6); // TTL
      record.writeUInt16BE(data.length, 10);
      return Buffer.concat([record, data]);
    });
  header.writeUInt16BE(records.length, 6);
  return Buffer.concat([header, message.subarray(12, query.end), ...records]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  const groups = [...part(head), ...new Array(8 - part(head).length - part(tail).length).fill('0'), ...part(tail)];
  const bytes = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) bytes.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return bytes;
}
