/**
 * How the engine runs JSONata without knowing who provides it: the node plugs in Node-RED's own
 * (red-evaluator.ts, so `$env`, `$flowContext`, `$globalContext` and `$moment` work as in core
 * nodes), unit tests and benchmarks plain `jsonata` (jsonata-evaluator.ts).
 */

/** Whatever `prepare` returned; only the evaluator that made it looks inside. */
export type PreparedExpression = unknown;

export interface ExpressionEvaluator<P = PreparedExpression> {
  /** Parses once; throws (with a message naming the position where possible) on a syntax error. */
  prepare(expression: string): P;
  /** `input` is the source record's fields; `bindings` become `$name` variables (`$record`). */
  evaluate(prepared: P, input: unknown, bindings: Record<string, unknown>): Promise<unknown>;
}

/** jsonata errors are plain objects ({code, position, token, message}), not Error instances. */
export function expressionErrorText(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { message?: unknown; position?: unknown; code?: unknown };
  const message = typeof e.message === 'string' ? e.message : String(err);
  const position = typeof e.position === 'number' ? ` at position ${e.position}` : '';
  const code = typeof e.code === 'string' ? ` [${e.code}]` : '';
  return `${message}${position}${code}`;
}

/**
 * JSONata's own truthiness ($boolean), so a filter or condition behaves as the same text would
 * in a core switch node: empty strings, 0, null, empty arrays and objects and no result are false.
 */
export function jsonataTruthy(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  switch (typeof value) {
    case 'boolean':
      return value;
    case 'string':
      return value.length > 0;
    case 'number':
      return value !== 0 && !Number.isNaN(value);
    case 'function':
      return false;
    case 'object':
      if (Array.isArray(value)) {
        if (value.length === 1) return jsonataTruthy(value[0]);
        return value.some(jsonataTruthy);
      }
      return Object.keys(value).length > 0;
    default:
      return true;
  }
}
