import { Gauge } from 'prom-client';
import type { Database } from '../../../db/database.js';
import { countLiveLeases } from '../../../repositories/callLeases.js';
import { engineCounters } from '../../../services/callLeases.js';
import type { App } from '../../app.js';

/*
 * /metrics of the engine protocol (services/callLeases.ts counts in this process): claims and tasks
 * claimed, leases ended before and after dial by reason, results per caller line and status
 * (labelled by the line's id, never its number), and the live leases in the database.
 */
export function installEngineMetrics(app: App, database: Database): void {
  app.addHook('onReady', async () => {
    const metrics = app.metrics;
    if (!metrics) return;
    const labelled = (values: Map<string, number>, name: string) =>
      [...values].map(([key, value]) => ({ labels: { [name]: key }, value }));
    metrics.addSource({
      prefix: 'outcall_engine',
      metrics: {
        claims_total: { help: 'Claims answered (each may hold several tasks)', type: 'counter' },
        tasks_claimed_total: { help: 'Call tasks handed out under a lease', type: 'counter' },
        leases_ended_before_dial_total: {
          help: 'Leases that ended before dial, by reason (released, expired_before_dial, poisoned, cancelled)',
          type: 'counter',
          labelNames: ['reason'],
        },
        leases_ended_after_dial_total: {
          help: 'Leases that ended after dial, by reason (result, lost)',
          type: 'counter',
          labelNames: ['reason'],
        },
        call_results_total: {
          help: 'Dialled calls recorded, by caller line id (empty: no line) and result status',
          type: 'counter',
          labelNames: ['phone_line_id', 'result_status'],
        },
      },
      read: () => ({
        claims_total: engineCounters.claims,
        tasks_claimed_total: engineCounters.tasksClaimed,
        leases_ended_before_dial_total: labelled(engineCounters.endedBeforeDial, 'reason'),
        leases_ended_after_dial_total: labelled(engineCounters.endedAfterDial, 'reason'),
        call_results_total: [...engineCounters.outcomes].map(([key, value]) => {
          const [line, status] = key.split('|');
          return { labels: { phone_line_id: line!, result_status: status! }, value };
        }),
      }),
    });
    // Live leases are the database's, across processes: read at each scrape.
    new Gauge({
      name: 'outcall_engine_active_leases',
      help: 'Live leases in the database, by state (claimed: not yet dialled; dialing)',
      labelNames: ['state'],
      registers: [metrics.registry],
      async collect() {
        const counts = await countLiveLeases(database);
        this.set({ state: 'claimed' }, counts.claimed);
        this.set({ state: 'dialing' }, counts.dialing);
      },
    });
  });
}
