/**
 * Node-RED's JSONata (RED.util) behind the ExpressionEvaluator interface. Typed structurally so
 * lib/ needs nothing from Node-RED: the node passes `RED.util` and itself.
 *
 * RED.util.evaluateJSONataExpression takes no bindings of its own, and assigning `$record` on the
 * shared prepared expression would race between records evaluated concurrently. So each call
 * evaluates a per-call view of the prepared expression whose `evaluate` merges our bindings with
 * the ones Node-RED adds (the async `$flowContext`/`$globalContext`, which win on a clash).
 */
import type { ExpressionEvaluator } from './expressions.js';

export interface RedPreparedExpression {
  evaluate(input: unknown, bindings?: Record<string, unknown>): Promise<unknown>;
}

export interface RedJsonataUtil {
  prepareJSONataExpression(expression: string, node: object): RedPreparedExpression;
  evaluateJSONataExpression(expr: RedPreparedExpression, msg: object, callback: (err: unknown, result?: unknown) => void): void;
}

export function redJsonataEvaluator(util: RedJsonataUtil, node: object): ExpressionEvaluator<RedPreparedExpression> {
  return {
    prepare(expression) {
      return util.prepareJSONataExpression(expression, node);
    },
    evaluate(prepared, input, bindings) {
      const view = Object.create(prepared) as RedPreparedExpression;
      view.evaluate = (context, redBindings) => prepared.evaluate(context, { ...bindings, ...redBindings });
      return new Promise((resolve, reject) => {
        util.evaluateJSONataExpression(view, (input ?? {}) as object, (err, result) => (err ? reject(toError(err)) : resolve(result)));
      });
    },
  };
}

function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  const e = err as { message?: unknown };
  return Object.assign(new Error(typeof e?.message === 'string' ? e.message : String(err)), err);
}
