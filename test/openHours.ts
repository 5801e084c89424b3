/**
 * A time zone where it is now about 14:00 (a whole-hour Etc/ zone): inside the fixture jobs'
 * 09:00–20:00 window whenever the tests run, for tests on the real clock.
 */
export function openZone(at = Date.now()): string {
  const offset = ((14 - new Date(at).getUTCHours() + 36) % 24) - 12;
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
