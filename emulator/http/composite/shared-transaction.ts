import { AsyncLocalStorage } from 'node:async_hooks';
import type { Org } from '../../org.js';
import type { Transaction } from '../../store/dml.js';

interface Ambient {
  org: Org;
  tx: Transaction;
}

const ambient = new AsyncLocalStorage<Ambient>();
const joinable = new WeakSet<Org>();

/**
 * Runs `fn` so that every `org.transaction(...)` call made inside it, by any route handler, joins
 * `tx` instead of committing on its own: composite `allOrNone` is one database transaction.
 *
 * Handlers take the org from `ctx.org` and call `org.transaction` themselves, so the join happens
 * on the org: its `transaction` method is wrapped once to consult an async-local ambient
 * transaction. Wrapping the instance (not handing handlers a proxy org) keeps the org's identity,
 * which modules such as the query route use as a WeakMap key for cursors. The async-local store
 * keeps requests that run concurrently outside the composite on their own transactions.
 */
export function runInSharedTransaction<T>(org: Org, tx: Transaction, fn: () => Promise<T>): Promise<T> {
  makeJoinable(org);
  return ambient.run({ org, tx }, fn);
}

function makeJoinable(org: Org): void {
  if (joinable.has(org)) return;
  joinable.add(org);
  const own = org.transaction.bind(org);
  org.transaction = function joinAmbient<T>(ctx: Parameters<Org['transaction']>[0], fn: (tx: Transaction) => T): T {
    const shared = ambient.getStore();
    if (!shared || shared.org !== org) return own(ctx, fn);
    // A nested "transaction" that fails undoes only its own writes, as a real savepoint would;
    // whether the whole composite rolls back is decided by its caller.
    const savepoint = shared.tx.savepoint();
    try {
      return fn(shared.tx);
    } catch (err) {
      shared.tx.rollbackTo(savepoint);
      throw err;
    }
  };
}
