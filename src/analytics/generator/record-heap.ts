import type { UsageRecord } from "../record.ts";

// Records of overlapping episodes wait here until no later episode can start before them, then leave in time
// order (ties: in the order they were made). Holds only the episodes in flight, never the whole workload.

interface Entry {
  ms: number;
  seq: number;
  record: UsageRecord;
}

export class RecordHeap {
  private readonly items: Entry[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  push(record: UsageRecord): void {
    const items = this.items;
    items.push({ ms: Date.parse(record.timestamp), seq: this.seq++, record });
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i], items[parent])) break;
      swap(items, i, parent);
      i = parent;
    }
  }

  /** Time of the earliest waiting record (Infinity when empty). */
  peekMs(): number {
    return this.items[0]?.ms ?? Number.POSITIVE_INFINITY;
  }

  pop(): UsageRecord | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top?.record;
    items[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < items.length && before(items[left], items[smallest])) smallest = left;
      if (right < items.length && before(items[right], items[smallest])) smallest = right;
      if (smallest === i) break;
      swap(items, i, smallest);
      i = smallest;
    }
    return top.record;
  }
}

function before(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  return a.ms < b.ms || (a.ms === b.ms && a.seq < b.seq);
}

function swap(items: Entry[], i: number, j: number): void {
  const a = items[i];
  const b = items[j];
  if (a === undefined || b === undefined) return;
  items[i] = b;
  items[j] = a;
}
