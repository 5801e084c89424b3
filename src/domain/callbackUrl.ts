import { invalidParameter } from './errors.js';

/** The longest callback URL accepted. */
export const MAX_CALLBACK_URL_LENGTH = 2000;

/**
 * The one check of a callback URL, wherever it is set (isv/updateIsvInfo, the CLI, the console):
 * an absolute http or https URL with a host, at most 2,000 characters. Returns it as given
 * (trimmed); throws a 412 naming `parameter` otherwise. Whether its address may be reached is
 * decided at every delivery, on the resolved address (callbacks/ssrf.ts), not here: DNS changes.
 */
export function validateCallbackUrl(value: string, parameter = 'callbackUrl'): string {
  const text = value.trim();
  if (text === '') throw invalidParameter(parameter, 'must not be empty');
  if (text.length > MAX_CALLBACK_URL_LENGTH)
    throw invalidParameter(parameter, `must be at most ${MAX_CALLBACK_URL_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidParameter(parameter, `"${text.slice(0, 100)}" is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidParameter(parameter, `must be an http or https URL, got ${url.protocol.replace(':', '')}`);
  // WHATWG URL parsing forgives "http:999999999" (read as http://59.154.201.255/): ask for the slashes.
  if (!/^https?:\/\//i.test(text))
    throw invalidParameter(parameter, `must start with http:// or https://, got "${text.slice(0, 100)}"`);
  if (url.hostname === '') throw invalidParameter(parameter, 'must name a host');
  // Control characters and spaces would be sent in the request line.
  if ([...text].some((ch) => ch.charCodeAt(0) <= 0x20 || ch.charCodeAt(0) === 0x7f))
    throw invalidParameter(parameter, 'must not contain spaces or control characters');
  return text;
}
