/**
 * A fixed-offset time zone where it is now about noon, so that a job with the later API's calling
 * hours (09:00–20:00 at most) may dial whatever the hour a test or walkthrough runs.
 */
export function zoneAtNoon(now = new Date()): string {
  const offset = 12 - now.getUTCHours(); // −11 … +12
  // Etc/GMT's sign is POSIX's: Etc/GMT-3 is three hours ahead of UTC.
  return offset === 0 ? 'Etc/GMT' : `Etc/GMT${offset > 0 ? '-' : '+'}${Math.abs(offset)}`;
}
