/**
 * What a failed call rejects with: jsforce errors carry `errorCode` and `data`, Node's fetch and
 * OrgConnection errors `code` or `cause.code`. All are optional, so each test checks the ones it expects.
 */
export type CallError = Error & { errorCode?: string; code?: string; data?: unknown; cause?: { code?: string } };

/**
 * The error `call` rejects with; the test fails if it succeeds. A function is called inside the
 * guard, so a synchronous throw counts too; a promise is awaited as given.
 */
export async function failure(call: PromiseLike<unknown> | (() => PromiseLike<unknown>)): Promise<CallError> {
  try {
    await (typeof call === 'function' ? call() : call);
  } catch (err) {
    return err as CallError;
  }
  throw new Error('expected the call to fail');
}
