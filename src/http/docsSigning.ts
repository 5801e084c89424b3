/*
 * The script /docs serves beside Swagger UI so that "Try it out" signs each request (signature v1,
 * docs/signature.md): the user enters appKey, appSecret and tenantSign once in a small form, they stay
 * in the page's memory (no storage, no cookie, never sent), and Swagger UI's requestInterceptor adds
 * the headers appKey, version, timestamp and signature.
 *
 * SHA-256 is computed here in plain JavaScript, always: WebCrypto (crypto.subtle) exists only in
 * secure contexts, so it is missing when /docs is opened over plain HTTP on a LAN address, and one
 * code path everywhere is the path the tests check. The functions below are real functions (unit-tested
 * in Node) whose source is put into the script with Function.prototype.toString, so each must be
 * self-contained: no imports, no module-level names.
 *
 * Why not a library (such as @noble/hashes): this script is one string the server builds from these
 * functions' source, with no bundler between the package and the page (the console has Vite; /docs is
 * served by the API process from dist/ alone). A library's SHA-256 is an ES module of several files
 * that would have to be bundled into the script at build time, for some forty lines of FIPS 180-4
 * whose every output docsSigning.test.ts compares with Node's own SHA-256 (known vectors, every
 * length across the block boundaries, random Unicode text).
 */

/** Lower-case hex SHA-256 (FIPS 180-4) of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  // The constants: the first 32 bits of the fractional parts of the cube roots (K) of the first 64
  // primes and of the square roots (H) of the first 8; doubles are precise enough for 32 bits of them.
  const primes: number[] = [];
  for (let n = 2; primes.length < 64; n++) if (primes.every((p) => n % p !== 0)) primes.push(n);
  const fraction = (x: number) => ((x - Math.floor(x)) * 2 ** 32) | 0;
  const K = primes.map((p) => fraction(Math.cbrt(p)));
  const H = primes.slice(0, 8).map((p) => fraction(Math.sqrt(p)));

  // The message, a 1 bit, zeros, and its length in bits as 64 bits big-endian, to a multiple of 64 bytes.
  const bytes = new TextEncoder().encode(text);
  const padded = new Uint8Array(Math.ceil((bytes.length + 9) / 64) * 64);
  padded.set(bytes);
  padded[bytes.length] = 0x80;
  const view = new DataView(padded.buffer);
  const bits = bytes.length * 8;
  view.setUint32(padded.length - 8, Math.floor(bits / 2 ** 32));
  view.setUint32(padded.length - 4, bits >>> 0);

  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  const W = new Array<number>(64);
  for (let block = 0; block < padded.length; block += 64) {
    for (let t = 0; t < 16; t++) W[t] = view.getInt32(block + 4 * t);
    for (let t = 16; t < 64; t++) {
      const w15 = W[t - 15]!;
      const w2 = W[t - 2]!;
      const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
      const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
      W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
    }
    let [a, b, c, d, e, f, g, h] = H as [number, number, number, number, number, number, number, number];
    for (let t = 0; t < 64; t++) {
      const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + W[t]!) | 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    [a, b, c, d, e, f, g, h].forEach((x, i) => {
      H[i] = (H[i]! + x) | 0;
    });
  }
  return H.map((x) => (x >>> 0).toString(16).padStart(8, '0')).join('');
}

/** The v1 signature (docs/signature.md) of these credentials at `timestamp`, with `hash` as sha256Hex. */
export function signatureV1(
  hash: (text: string) => string,
  credentials: { appKey: string; appSecret: string; tenantSign: string },
  timestamp: string,
): string {
  const { appKey, appSecret, tenantSign } = credentials;
  return hash(
    `${tenantSign}appKey=${appKey}&appSecret=${appSecret}&tenantSign=${tenantSign}&version=v1&timestamp=${timestamp}`,
  );
}

/** What the script defines on `window`: Swagger UI's config (docs.ts) reaches it by this name. */
export interface DocsSigningPage {
  outcallDocs: {
    /** Swagger UI's requestInterceptor. */
    sign(request: SwaggerRequest): SwaggerRequest;
    /** A Swagger UI plugin that shows the credentials form under the title. */
    plugin(system: unknown): object;
  };
}

interface SwaggerRequest {
  url: string;
  headers?: Record<string, string>;
  loadSpec?: boolean;
  [key: string]: unknown;
}

/** The page's part, run in the browser: the form, the credentials in this closure only, and the signing. */
function installInPage(hash: (text: string) => string, sign: typeof signatureV1): void {
  const credentials = { appKey: '', appSecret: '', tenantSign: '' };
  const complete = () => Boolean(credentials.appKey && credentials.appSecret && credentials.tenantSign);

  // The form: fixed markup; what the user types is only ever read, or shown as text.
  const form = document.createElement('form');
  form.className = 'outcall-signing';
  form.setAttribute('autocomplete', 'off');
  form.innerHTML = `
    <h3>Sign “Try it out” requests</h3>
    <p class="outcall-signing-hint">Enter an API key once: every request sent from this page then carries the headers
      <code>appKey</code>, <code>version</code> (v1), <code>timestamp</code> and <code>signature</code>, computed here.
      The three values stay in this page’s memory only: they are not stored, and the appSecret and tenantSign are
      never sent. Reloading the page forgets them. (The Authorize button is not needed.)</p>
    <div class="outcall-signing-fields">
      <label>appKey<input name="appKey" type="text" spellcheck="false" autocomplete="off" placeholder="16 letters and digits"></label>
      <label>appSecret<input name="appSecret" type="password" autocomplete="new-password" placeholder="32 letters and digits"></label>
      <label>tenantSign<input name="tenantSign" type="text" spellcheck="false" autocomplete="off" placeholder="the tenant’s short name"></label>
      <button type="button" class="btn">Forget</button>
    </div>
    <p class="outcall-signing-status" role="status" aria-live="polite"></p>`;
  const status = form.querySelector('.outcall-signing-status') as HTMLElement;
  const show = () => {
    const any = credentials.appKey || credentials.appSecret || credentials.tenantSign;
    status.className = `outcall-signing-status${complete() ? ' is-on' : ''}`;
    status.textContent = complete()
      ? `✓ Signing every request as appKey ${credentials.appKey} (signature v1).`
      : any
        ? 'Enter all three to sign requests.'
        : 'Not signing: a signed endpoint answers code 401 until a key is entered.';
  };
  const read = () => {
    for (const name of ['appKey', 'appSecret', 'tenantSign'] as const)
      credentials[name] = (form.elements.namedItem(name) as HTMLInputElement).value.trim();
    show();
  };
  form.addEventListener('input', read);
  (form.querySelector('button') as HTMLButtonElement).addEventListener('click', () => {
    form.reset();
    read();
  });
  form.addEventListener('submit', (event) => event.preventDefault());
  show();

  (window as unknown as DocsSigningPage).outcallDocs = {
    sign(request) {
      // Not the document itself, nor a request to another origin (a signature is for this server only).
      if (request.loadSpec || !complete() || new URL(request.url, location.href).origin !== location.origin)
        return request;
      const timestamp = String(Date.now());
      request.headers = {
        ...request.headers,
        appKey: credentials.appKey,
        version: 'v1',
        timestamp,
        signature: sign(hash, credentials, timestamp),
      };
      return request;
    },
    plugin(system) {
      const { React } = system as { React: { createElement(...args: unknown[]): unknown } };
      // Under the title and description: React renders an empty box, the form (kept across renders) goes in it.
      const holder = (element: HTMLElement | null) => {
        if (element && form.parentNode !== element) element.appendChild(form);
      };
      return {
        wrapComponents: {
          InfoContainer: (Original: unknown) => (props: object) =>
            React.createElement(
              'div',
              null,
              React.createElement(Original, props),
              React.createElement('div', { ref: holder }),
            ),
        },
      };
    },
  };
}

/** The script served as /docs/static/theme/signing.js. */
export const DOCS_SIGNING_SCRIPT = `'use strict';
(function () {
const sha256Hex = ${sha256Hex.toString()};
const signatureV1 = ${signatureV1.toString()};
(${installInPage.toString()})(sha256Hex, signatureV1);
})();
`;

/** Its look: Swagger UI's colours, fields side by side when there is room (over Swagger UI's own input style). */
export const DOCS_SIGNING_CSS = `
.outcall-signing { margin: 0 0 24px; padding: 16px 20px; border: 1px solid #d8dde7; border-radius: 4px;
  background: #f7f9fc; font-family: sans-serif; color: #3b4151; }
.outcall-signing h3 { margin: 0 0 6px; font-size: 16px; }
.outcall-signing-hint { margin: 0 0 12px; font-size: 13px; line-height: 1.5; }
.outcall-signing-hint code { font-size: 12px; padding: 1px 4px; background: #e8ebf1; border-radius: 3px; }
.outcall-signing-fields { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-end; }
.outcall-signing-fields label { display: flex; flex-direction: column; gap: 4px; flex: 1 1 220px;
  font-size: 12px; font-weight: bold; }
.outcall-signing .outcall-signing-fields input { font-family: monospace; font-size: 14px; font-weight: normal; padding: 7px 10px;
  margin: 0; border: 1px solid #c4cad6; border-radius: 4px; background: #fff; }
.outcall-signing .outcall-signing-fields .btn { margin: 0; }
.outcall-signing-status { margin: 10px 0 0; font-size: 13px; color: #8a6d3b; }
.outcall-signing-status.is-on { color: #2f8132; font-weight: bold; }
`;
