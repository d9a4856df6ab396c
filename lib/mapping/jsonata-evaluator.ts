/**
 * Plain `jsonata` behind the ExpressionEvaluator interface: for unit tests, benchmarks and tools
 * outside Node-RED. `jsonata` is a dev dependency (Node-RED brings its own pinned copy), so the
 * nodes use red-evaluator.ts instead and nothing in the runtime path imports this module.
 */
import jsonata from 'jsonata';
import type { ExpressionEvaluator } from './expressions.js';

export type JsonataExpression = ReturnType<typeof jsonata>;

export interface JsonataEvaluatorOptions {
  /** Values `$env('NAME')` returns, standing in for Node-RED's environment variables. */
  env?: Record<string, string>;
  /** Extra variables and functions bound into every expression. */
  bindings?: Record<string, unknown>;
}

export function jsonataEvaluator(options: JsonataEvaluatorOptions = {}): ExpressionEvaluator<JsonataExpression> {
  const env = options.env ?? {};
  return {
    prepare(expression) {
      const expr = jsonata(expression);
      // Node-RED answers unknown names with "", never undefined; tests should see what flows see.
      expr.assign('env', (name: string) => env[name] ?? '');
      for (const [name, value] of Object.entries(options.bindings ?? {})) expr.assign(name, value);
      return expr;
    },
    evaluate(expr, input, bindings) {
      return expr.evaluate(input, bindings);
    },
  };
}
