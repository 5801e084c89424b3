/**
 * The HTTP methods of requests that may change what is stored: the audit log records them
 * (audit.ts), and the console asks them for its CSRF token (console/auth.ts). GET, HEAD and
 * OPTIONS only read.
 */
export const CHANGING_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
