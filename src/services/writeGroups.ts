import type { Database } from '../db/database.js';

/** What one item of a group came to: its value, or its own refusal. */
export type GroupOutcome<O> = { value: O } | { error: unknown };

/**
 * Group commit, per database handle: many small writes (an engine's dials and results) in one
 * transaction, where each alone costs a begin, a commit and its statements' fixed costs. An item
 * arriving while no group is being written is written at the next turn of the event loop, with
 * whatever arrived in the same turn; one arriving meanwhile waits for the group in progress. Under
 * load the groups grow by themselves; alone, an item waits for nothing.
 *
 * `write` answers each item with its own outcome: a refusal is that item's alone. When `write`
 * fails as a whole (the transaction could not commit), the group is written again one item at a
 * time, so one item's fault stays its own. `afterCommit` runs once per group, after its commit and
 * before its items are answered. Items with the same `key` never share a group: the second sees
 * what the first wrote (a replayed result, a dial sent twice).
 */
export class WriteGroups<I, O> {
  private waiting: { item: I; settle: (outcome: GroupOutcome<O>) => void }[] = [];
  private writing = false;

  constructor(
    private readonly database: Database,
    private readonly write: (database: Database, items: I[]) => Promise<GroupOutcome<O>[]>,
    private readonly options: {
      key: (item: I) => string;
      afterCommit?: (items: I[], outcomes: GroupOutcome<O>[]) => Promise<void>;
      /** At most this many items in one group. */
      max?: number;
    },
  ) {}

  /** Nothing waiting and nothing being written. */
  get idle(): boolean {
    return !this.writing && this.waiting.length === 0;
  }

  add(item: I): Promise<O> {
    return new Promise<GroupOutcome<O>>((settle) => {
      this.waiting.push({ item, settle });
      this.schedule();
    }).then((outcome) => {
      if ('error' in outcome) throw outcome.error;
      return outcome.value;
    });
  }

  private schedule(): void {
    if (this.writing || this.waiting.length === 0) return;
    this.writing = true;
    setImmediate(() => {
      // Each item is answered with its own outcome; `afterCommit` handles (logs) its own faults.
      this.writeGroup()
        .catch(() => undefined)
        .finally(() => {
          this.writing = false;
          this.schedule();
        });
    });
  }

  private async writeGroup(): Promise<void> {
    const max = this.options.max ?? 500;
    const group: typeof this.waiting = [];
    const later: typeof this.waiting = [];
    const keys = new Set<string>();
    for (const w of this.waiting) {
      const key = this.options.key(w.item);
      if (group.length < max && !keys.has(key)) {
        group.push(w);
        keys.add(key);
      } else later.push(w);
    }
    this.waiting = later;
    const items = group.map((w) => w.item);
    let outcomes: GroupOutcome<O>[];
    try {
      outcomes = await this.write(this.database, items);
    } catch (error) {
      outcomes = [];
      if (items.length === 1) outcomes.push({ error });
      else
        for (const item of items)
          outcomes.push(
            await this.write(this.database, [item]).then(
              ([outcome]) => outcome!,
              (e: unknown) => ({ error: e }),
            ),
          );
    }
    try {
      await this.options.afterCommit?.(items, outcomes);
    } finally {
      for (const [i, w] of group.entries()) w.settle(outcomes[i]!);
    }
  }
}

/** One WriteGroups per database handle and kind of write. */
export function groupsOf<I, O>(
  kept: WeakMap<Database, WriteGroups<I, O>>,
  database: Database,
  make: () => WriteGroups<I, O>,
): WriteGroups<I, O> {
  const groups = kept.get(database) ?? make();
  kept.set(database, groups);
  return groups;
}
