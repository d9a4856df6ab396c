import type { Migration } from './migrations.js';

/**
 * The ledger's schema, oldest step first. Later issues append steps (cross-org Id map, field
 * hashes, checkpoints, dead letters, conflicts, sync history) as versions 2, 3, …; a step that
 * has shipped is never edited, because files in the field already recorded it as applied.
 *
 * Conventions every step follows: org Ids are the 15/18-character Salesforce org Id (00D…) or a
 * `login:` placeholder (see lib/health/org-key.ts), never a Node-RED node id; times are INTEGER
 * milliseconds since the epoch (UTC), as Date.now() gives them.
 */
export const LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'orgs and availability samples',
    up: `
      CREATE TABLE orgs (
        org_id     TEXT    PRIMARY KEY,
        name       TEXT    NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL
      );

      -- What a connection's login (host + user or app) turned out to be, so checks that cannot log
      -- in (org down at start-up) are still filed under the right org Id.
      CREATE TABLE org_login_keys (
        login_key TEXT    PRIMARY KEY,
        org_id    TEXT    NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        seen_at   INTEGER NOT NULL
      );

      CREATE TABLE availability_samples (
        id         INTEGER PRIMARY KEY,
        org_id     TEXT    NOT NULL REFERENCES orgs (org_id) ON DELETE CASCADE,
        at         INTEGER NOT NULL,
        status     TEXT    NOT NULL CHECK (status IN ('available', 'degraded', 'unavailable')),
        severity   TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
        latency_ms REAL,
        api_used   INTEGER,
        api_limit  INTEGER,
        reason     TEXT    NOT NULL DEFAULT ''
      );
      CREATE INDEX availability_samples_by_org_time ON availability_samples (org_id, at);
      CREATE INDEX availability_samples_by_time ON availability_samples (at);
    `,
  },
];
