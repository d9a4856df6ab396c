import { SfError } from '../errors.js';
import type { Emulator } from '../emulator.js';
import type { Org } from '../org.js';
import type { RequestContext } from './context.js';

/** Where the emulator's own control API lives, on the login port and on every org's port. */
export const CONTROL_BASE = '/__emulator__';

/** The org a control route's `:org` names; a 404 that lists the real names otherwise. */
export function orgOf(emulator: Emulator, ctx: RequestContext): Org {
  const org = emulator.orgs.get(ctx.params.org ?? '');
  if (!org) throw new SfError('NOT_FOUND', `no org named '${ctx.params.org}'; orgs: ${[...emulator.orgs.keys()].join(', ')}`, 404);
  return org;
}

/** A control request's JSON body; no body at all reads as `{}`, so curl calls without `-d` work. */
export async function jsonBody<T>(ctx: RequestContext): Promise<T> {
  const raw = await ctx.readBody();
  if (!raw.length) return {} as T;
  return ctx.readJson<T>();
}
