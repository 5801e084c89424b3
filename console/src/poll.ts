import { onBeforeUnmount, onMounted } from 'vue';

/*
 * Live refresh by polling: `load` runs every `intervalMs` while `wanted()` says so (a job is running)
 * and the tab is visible; one request at a time, so a slow server is never asked twice at once.
 */
export function usePolling(load: () => Promise<unknown>, wanted: () => boolean, intervalMs = 3000): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let busy = false;
  const tick = async () => {
    timer = undefined;
    if (!busy && wanted() && document.visibilityState === 'visible') {
      busy = true;
      try {
        await load();
      } catch {
        // The screen shows its own errors; polling goes on.
      } finally {
        busy = false;
      }
    }
    timer = setTimeout(tick, intervalMs);
  };
  const onVisible = () => {
    if (document.visibilityState === 'visible' && wanted() && !busy) {
      if (timer) clearTimeout(timer);
      void tick();
    }
  };
  onMounted(() => {
    timer = setTimeout(tick, intervalMs);
    document.addEventListener('visibilitychange', onVisible);
  });
  onBeforeUnmount(() => {
    if (timer) clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  });
}
