import type { Migration } from './migrations.js';

/**
 * The ledger's schema, oldest step first. Later issues append steps (cross-org Id map, field
 * hashes, checkpoints, dead letters, conflicts, sync history) as versions 2, 3, …; a step that
 * has shipped is never edited, because files in the field already recorded it as applied.
 *
 * Conventions every step follows: org Ids are the 15/18-character Salesforce org Id (00D…) or a
 * `login:` placeholder (see lib/connection/org-key.ts), never a Node-RED node id; times are INTEGER
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
  {
    version: 2,
    name: 'sync writes: id map, field hashes, dead letters, sync history, deferred work',
    // No foreign keys to orgs here: a writer knows the org Ids it syncs between but not always
    // their names, and these rows must be written even for an org no health check ever touched.
    up: `
      -- Which target record each source record was written to (one per source record and target org).
      CREATE TABLE id_map (
        source_org    TEXT    NOT NULL,
        source_id     TEXT    NOT NULL,
        target_org    TEXT    NOT NULL,
        target_object TEXT    NOT NULL,
        target_id     TEXT    NOT NULL,
        updated_at    INTEGER NOT NULL,
        PRIMARY KEY (source_org, source_id, target_org)
      ) WITHOUT ROWID;
      -- Echo recognition and dashboards go from a target record back to its source.
      CREATE INDEX id_map_by_target ON id_map (target_org, target_id);

      -- Hash of each mapped target value as last written: unchanged writes are skipped, echoes recognised.
      CREATE TABLE field_hashes (
        source_org TEXT    NOT NULL,
        source_id  TEXT    NOT NULL,
        target_org TEXT    NOT NULL,
        field      TEXT    NOT NULL,
        hash       TEXT    NOT NULL,
        synced_at  INTEGER NOT NULL,
        PRIMARY KEY (source_org, target_org, source_id, field)
      ) WITHOUT ROWID;

      CREATE TABLE dead_letters (
        id            INTEGER PRIMARY KEY,
        source_org    TEXT    NOT NULL,
        source_id     TEXT    NOT NULL,
        target_org    TEXT    NOT NULL,
        object        TEXT    NOT NULL,
        target_object TEXT    NOT NULL,
        operation     TEXT    NOT NULL,
        record_json   TEXT    NOT NULL,
        error_code    TEXT    NOT NULL,
        message       TEXT    NOT NULL,
        category      TEXT    NOT NULL CHECK (category IN ('transient', 'permanent')),
        fields        TEXT    NOT NULL DEFAULT '[]',
        attempts      INTEGER NOT NULL,
        first_at      INTEGER NOT NULL,
        last_at       INTEGER NOT NULL,
        status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'retried', 'resolved', 'discarded'))
      );
      -- At most one live letter per record and target: a repeated failure updates it, a success resolves it.
      CREATE UNIQUE INDEX dead_letters_live ON dead_letters (source_org, source_id, target_org) WHERE status IN ('open', 'retried');
      CREATE INDEX dead_letters_by_target ON dead_letters (target_org, status, last_at);
      CREATE INDEX dead_letters_by_time ON dead_letters (last_at);

      -- Hourly counts per org pair, target object and target field ('' counts whole records).
      CREATE TABLE sync_history (
        bucket_start  INTEGER NOT NULL,
        source_org    TEXT    NOT NULL,
        target_org    TEXT    NOT NULL,
        object        TEXT    NOT NULL,
        field         TEXT    NOT NULL,
        synced        INTEGER NOT NULL DEFAULT 0,
        skipped       INTEGER NOT NULL DEFAULT 0,
        failed        INTEGER NOT NULL DEFAULT 0,
        dead_lettered INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (source_org, target_org, object, field, bucket_start)
      ) WITHOUT ROWID;
      CREATE INDEX sync_history_by_time ON sync_history (bucket_start);

      -- Lookups written empty because the parent was not in the target yet; set once it is.
      CREATE TABLE pending_references (
        source_org        TEXT    NOT NULL,
        source_id         TEXT    NOT NULL,
        target_org        TEXT    NOT NULL,
        object            TEXT    NOT NULL,
        target_object     TEXT    NOT NULL,
        field             TEXT    NOT NULL,
        parent_object     TEXT    NOT NULL,
        parent_source_id  TEXT    NOT NULL,
        parent_ext_field  TEXT,
        parent_ext_value  TEXT,
        created_at        INTEGER NOT NULL,
        PRIMARY KEY (source_org, target_org, source_id, field)
      ) WITHOUT ROWID;
      CREATE INDEX pending_references_by_parent ON pending_references (source_org, target_org, parent_source_id);

      -- Creates sent without an external Id: a create whose answer was lost (crash, timeout) is found
      -- again from these before it is sent a second time, so it is not duplicated.
      CREATE TABLE pending_creates (
        source_org    TEXT    NOT NULL,
        source_id     TEXT    NOT NULL,
        target_org    TEXT    NOT NULL,
        target_object TEXT    NOT NULL,
        fields_json   TEXT    NOT NULL,
        started_at    INTEGER NOT NULL,
        PRIMARY KEY (source_org, target_org, source_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 3,
    name: 'change capture checkpoints',
    up: `
      -- Where each change-capture subscription resumes: the replay id up to which every event was
      -- written (or dead-lettered), and the commit time of that event, which a catch-up read starts
      -- from when the org no longer retains it. 'name' tells apart subscriptions of one org and
      -- channel that feed different flows.
      CREATE TABLE cdc_checkpoints (
        org_id       TEXT    NOT NULL,
        channel      TEXT    NOT NULL,
        name         TEXT    NOT NULL DEFAULT '',
        replay_id    INTEGER NOT NULL,
        committed_at INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (org_id, channel, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 4,
    name: 'deleted target records',
    up: `
      -- The target record a synced delete removed, kept so that an undelete in the source can
      -- restore that same record (with its Id and history) from the target's recycle bin.
      CREATE TABLE deleted_targets (
        source_org    TEXT    NOT NULL,
        source_id     TEXT    NOT NULL,
        target_org    TEXT    NOT NULL,
        target_object TEXT    NOT NULL,
        target_id     TEXT    NOT NULL,
        deleted_at    INTEGER NOT NULL,
        PRIMARY KEY (source_org, target_org, source_id)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'bulk read checkpoints',
    up: `
      -- Where a bulk read resumes: its Bulk API query job, the locator of the first results page
      -- not fully written (NULL once every page is), the records before it, and the last record
      -- written, from which a new job goes on once the org no longer keeps the old job's results.
      -- 'name' tells apart reads of one org and object that feed different flows.
      CREATE TABLE bulk_checkpoints (
        org_id      TEXT    NOT NULL,
        object      TEXT    NOT NULL,
        name        TEXT    NOT NULL DEFAULT '',
        job_id      TEXT    NOT NULL,
        locator     TEXT,
        records     INTEGER NOT NULL,
        last_id     TEXT,
        started_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL,
        PRIMARY KEY (org_id, object, name)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'bulk read checkpoints keep their query',
    up: `
      -- A fingerprint of the query a checkpoint was taken for: a read whose filter or fields have
      -- changed since must not go on with the results of the old query.
      ALTER TABLE bulk_checkpoints ADD COLUMN query_hash TEXT NOT NULL DEFAULT '';
    `,
  },
  {
    version: 7,
    name: 'field hashes one row per record',
    up: `
      -- One row per synced record and target org instead of one per field: a sync of a million
      -- records writes a million rows, not fifteen million, and reads a batch's hashes in as many
      -- rows as it has records. 'hashes' is a JSON object, target field to [hash, written at (ms)];
      -- a write merges its fields into it (json_patch), so fields it did not send keep their hashes.
      CREATE TABLE record_hashes (
        source_org TEXT NOT NULL,
        target_org TEXT NOT NULL,
        source_id  TEXT NOT NULL,
        hashes     TEXT NOT NULL,
        PRIMARY KEY (source_org, target_org, source_id)
      ) WITHOUT ROWID;
      INSERT INTO record_hashes (source_org, target_org, source_id, hashes)
        SELECT source_org, target_org, source_id, json_group_object(field, json_array(hash, synced_at))
        FROM field_hashes GROUP BY source_org, target_org, source_id;
      DROP TABLE field_hashes;
    `,
  },
];
