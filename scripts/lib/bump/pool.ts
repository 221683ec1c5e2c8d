/**
 * Runs an async function over items with at most `limit` calls in flight, keeping the results in
 * item order. Every call settles (no call is left running when it returns); a rejection is kept
 * as data so one registry that fails does not hide the others.
 */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<Settled<R>[]> {
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`mapBounded: limit must be a positive integer, got ${limit}`);
  const out: Settled<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) {
      try {
        out[i] = { ok: true, value: await fn(items[i]!, i) };
      } catch (error) {
        out[i] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
