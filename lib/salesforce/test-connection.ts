import { OrgConnection } from '../connection/org-connection.js';
import type { ConnectionSecrets, ConnectionSettings } from '../connection/settings.js';
import { reasonOf } from './errors.js';
import { OrgApi } from './org-api.js';

export type TestResult =
  | { ok: true; orgName: string; orgId: string; username: string; userId: string; instanceUrl: string; apiUsage: { used: number; limit: number; budget: number } }
  | { ok: false; reason: string; code: string };

/**
 * What the editor's "Test connection" button reports: a fresh login with the given (unsaved)
 * settings, then the org's name, the user and API usage. Three API calls; never a secret in the answer.
 */
export async function testConnection(settings: ConnectionSettings, secrets: ConnectionSecrets): Promise<TestResult> {
  const oc = new OrgConnection(settings, secrets);
  try {
    const problems = oc.problems();
    if (problems.length) return { ok: false, code: 'CONFIGURATION', reason: problems.join('; ') };
    const api = new OrgApi(oc);
    const [org] = await api.rows<{ Name: string }>('SELECT Name FROM Organization', 'reading the org name');
    const identity = await api.identity();
    const usage = await api.limits();
    return {
      ok: true,
      orgName: org?.Name ?? '',
      orgId: identity.organization_id,
      username: identity.username,
      userId: identity.user_id,
      instanceUrl: oc.identity?.instanceUrl ?? '',
      apiUsage: { used: usage.used, limit: usage.limit, budget: usage.budget },
    };
  } catch (err) {
    const e = err as Error & { code?: string };
    return { ok: false, code: e.code ?? 'UNKNOWN', reason: oc.mask(reasonOf(err)) };
  } finally {
    oc.close();
  }
}
