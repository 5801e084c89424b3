import type { HttpMethod, SendOptions } from '../client.js';

/** How a resource of the later API sends: the client's signed, retrying request, answering `data`. */
export type Send = <T>(method: HttpMethod, path: string, options: SendOptions) => Promise<T>;

/** The later API's paths: /apiOpen/v1/<resource>/<function>. */
export const LATER_BASE = '/apiOpen/v1';
