import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { errors, SfError } from './errors.js';
import { FaultInjector } from './faults.js';
import { ApiLimits } from './limits.js';
import { OrgSchema } from './schema/org-schema.js';
import { loadSchemaFile } from './schema/schema-file.js';
import { STANDARD_OBJECTS } from './schema/standard-objects.js';
import type { SchemaFile } from './schema/types.js';
import { SessionStore } from './sessions.js';
import { inTransaction, Transaction, type DmlHost } from './store/dml.js';
import { OrgData } from './store/org-data.js';
import type { CommittedTransaction, StoredRecord, WriteContext } from './store/types.js';
import { sfDateTime, type Clock } from './util/clock.js';
import { IdFactory, makeId } from './util/ids.js';

export interface UserSpec {
  username: string;
  password: string;
  firstName?: string;
  lastName: string;
  email?: string;
  alias?: string;
  /** The API-only integration user that sync flows should run as. */
  integration?: boolean;
  /** Profile name shown in identity and userinfo. */
  profile?: string;
}

export interface ConnectedAppSpec {
  name: string;
  clientId: string;
  clientSecret: string;
  /** PEM certificate (or public key) that JWT bearer assertions must be signed for. */
  certificate?: string;
  /** Username the client-credentials flow runs as. */
  runAsUsername?: string;
  /** Allowed redirect URIs for the web-server flow; any is accepted when empty. */
  callbackUrls?: string[];
  /** The user who "approves" `/services/oauth2/authorize` requests (no login page in the emulator). */
  approvingUsername?: string;
}

export interface OrgSpec {
  /** Short name used in URLs of the control API and in logs, e.g. `hq`. */
  name: string;
  /** Organization name as Salesforce reports it. */
  displayName?: string;
  /** 18-character org Id; derived from the name when absent. */
  orgId?: string;
  users: UserSpec[];
  apps: ConnectedAppSpec[];
  /** Custom objects, fields and picklist changes on top of the standard objects. */
  schema?: SchemaFile;
  /** A JSON schema file with the same content as `schema`, applied after it. */
  schemaFile?: string;
  /** Objects that publish Change Data Capture events. */
  cdcObjects?: string[];
  /** Limit maxima, e.g. `{ DailyApiRequests: 15000 }`. */
  limits?: Record<string, number>;
  /** Access token lifetime in seconds (default 7200). */
  sessionTtlSeconds?: number;
  /** Fixed port for the org's instance URL (0 or absent: any free port). */
  port?: number;
}

export interface OrgUser extends UserSpec {
  id: string;
}

/** One emulated org: its schema, data, users, apps, sessions, limits and faults. */
export class Org implements DmlHost {
  readonly name: string;
  readonly orgId: string;
  readonly ids: IdFactory;
  schema!: OrgSchema;
  data!: OrgData;
  readonly limits = new ApiLimits();
  readonly faults = new FaultInjector();
  readonly sessions: SessionStore;
  readonly users = new Map<string, OrgUser>();
  readonly apps = new Map<string, ConnectedAppSpec>();
  readonly cdcObjects = new Set<string>();
  /** Set by the HTTP layer once the org's server listens. */
  instanceUrl = '';
  private readonly commitListeners = new Set<(tx: CommittedTransaction) => void>();
  private readonly seeders: Array<(org: Org) => void> = [];

  constructor(
    readonly spec: OrgSpec,
    readonly clock: Clock,
  ) {
    this.name = spec.name;
    this.orgId = spec.orgId ?? orgIdFor(spec.name);
    // The two pod characters of every Id come from the org name, so Ids never collide across orgs.
    this.ids = new IdFactory(podFor(spec.name));
    this.sessions = new SessionStore(this.orgId, clock);
    if (spec.sessionTtlSeconds) this.sessions.ttlMs = spec.sessionTtlSeconds * 1000;
    for (const [k, v] of Object.entries(spec.limits ?? {})) this.limits.setMax(k, v);
    this.build();
  }

  get displayName(): string {
    return this.spec.displayName ?? this.name;
  }

  /** Builds schema, data and users from the spec (start and reset). */
  private build(): void {
    this.schema = OrgSchema.fromDefs(STANDARD_OBJECTS, this.spec.schema);
    if (this.spec.schemaFile) this.schema.apply(loadSchemaFile(this.spec.schemaFile));
    this.data = new OrgData(this.schema);
    this.ids.reset();
    this.users.clear();
    this.apps.clear();
    this.cdcObjects.clear();
    for (const o of this.spec.cdcObjects ?? []) this.cdcObjects.add(this.schema.object(o)?.name ?? o);
    for (const a of this.spec.apps) this.apps.set(a.clientId, a);
    this.insertSystemRecords();
    for (const seed of this.seeders) seed(this);
  }

  /** Adds a function that loads data now and again after every reset. */
  addSeeder(seed: (org: Org) => void): void {
    this.seeders.push(seed);
    seed(this);
  }

  reset(): void {
    this.sessions.clear();
    this.faults.clear();
    this.limits.resetCounts();
    this.build();
    for (const l of this.resetListeners) l();
  }

  /** Called after every reset, for state kept beside the org (streaming clients, retained events). */
  onReset(listener: () => void): () => void {
    this.resetListeners.add(listener);
    return () => this.resetListeners.delete(listener);
  }

  private readonly resetListeners = new Set<() => void>();

  /** Delivers a platform event (`X__e`) and returns its id; set by the streaming service. */
  platformEventPublisher?: (objectName: string, fields: Record<string, unknown>, userId: string) => string;

  private insertSystemRecords(): void {
    const now = sfDateTime(this.clock.now());
    const orgTable = this.data.table('Organization');
    const profileTable = this.data.table('Profile');
    const userTable = this.data.table('User');
    const adminProfileId = makeId('00e', podFor(this.name), 1);
    const integrationProfileId = makeId('00e', podFor(this.name), 2);
    const firstUserId = makeId('005', podFor(this.name), 1);
    const system = { CreatedDate: now, LastModifiedDate: now, SystemModstamp: now, CreatedById: firstUserId, LastModifiedById: firstUserId };
    orgTable?.put(fill(orgTable.schema.fields.map((f) => f.name), {
      Id: this.orgId, IsDeleted: false, Name: this.displayName, OrganizationType: 'Enterprise Edition',
      InstanceName: 'EMU1', IsSandbox: false, ...system,
    }));
    for (const [id, name] of [[adminProfileId, 'System Administrator'], [integrationProfileId, 'Salesforce API Only System Integrations']] as const) {
      profileTable?.put(fill(profileTable.schema.fields.map((f) => f.name), { Id: id, IsDeleted: false, Name: name, ...system }));
    }
    let n = 0;
    for (const u of this.spec.users) {
      const id = makeId('005', podFor(this.name), ++n);
      const user: OrgUser = { ...u, id };
      this.users.set(u.username.toLowerCase(), user);
      userTable?.put(fill(userTable.schema.fields.map((f) => f.name), {
        Id: id, IsDeleted: false, Username: u.username, LastName: u.lastName, FirstName: u.firstName ?? null,
        Name: [u.firstName, u.lastName].filter(Boolean).join(' '), Email: u.email ?? u.username,
        Alias: u.alias ?? u.lastName.slice(0, 8), IsActive: true,
        ProfileId: u.integration ? integrationProfileId : adminProfileId,
        TimeZoneSidKey: 'GMT', LocaleSidKey: 'en_US', EmailEncodingKey: 'UTF-8', LanguageLocaleKey: 'en_US',
        UserType: 'Standard', ...system,
      }));
    }
    // Ids handed out by the factory start after the fixed ones above.
    for (let i = 0; i < n; i++) this.ids.next('005');
    this.ids.next('00e');
    this.ids.next('00e');
  }

  userById(id: string): OrgUser | undefined {
    for (const u of this.users.values()) if (u.id === id) return u;
    return undefined;
  }

  userByName(username: string): OrgUser | undefined {
    return this.users.get(username.toLowerCase());
  }

  /**
   * Runs writes in one transaction; committed changes reach the commit listeners (CDC). Inside
   * `joinTransaction` the writes join the shared transaction instead, under a savepoint, so that a
   * failed write undoes only itself and the caller decides whether everything rolls back.
   */
  transaction<T>(ctx: WriteContext, fn: (tx: Transaction) => T): T {
    const shared = this.ambientTransaction.getStore();
    if (!shared) return inTransaction(this, ctx, fn);
    const savepoint = shared.savepoint();
    try {
      return fn(shared);
    } catch (err) {
      shared.rollbackTo(savepoint);
      throw err;
    }
  }

  /** A transaction the caller commits or rolls back itself (composite allOrNone). */
  beginTransaction(ctx: WriteContext): Transaction {
    return new Transaction(this, ctx);
  }

  /** Makes every `transaction()` call made while `fn` runs, by any route handler, join `tx`. */
  joinTransaction<T>(tx: Transaction, fn: () => Promise<T>): Promise<T> {
    return this.ambientTransaction.run(tx, fn);
  }

  private readonly ambientTransaction = new AsyncLocalStorage<Transaction>();

  onCommit(tx: CommittedTransaction): void {
    for (const l of this.commitListeners) l(tx);
  }

  addCommitListener(l: (tx: CommittedTransaction) => void): () => void {
    this.commitListeners.add(l);
    return () => this.commitListeners.delete(l);
  }

  checkLock(id: string): void {
    this.faults.checkLock(id);
  }

  /** Throws the real error when the daily API limit is spent. */
  checkApiLimit(): void {
    if (this.limits.apiExhausted()) throw errors.requestLimit();
  }

  /** Records of an object as plain objects, for comparing orgs in tests. */
  snapshot(objectName: string, includeDeleted = false): StoredRecord[] {
    const t = this.data.table(objectName);
    if (!t) throw new SfError('INVALID_TYPE', `sObject type '${objectName}' is not supported.`, 400);
    return [...t.scan()].filter((r) => includeDeleted || !r.IsDeleted).map((r) => ({ ...r }));
  }
}

function fill(names: string[], values: Record<string, unknown>): StoredRecord {
  const r: Record<string, unknown> = {};
  for (const n of names) r[n] = n in values ? values[n] : null;
  for (const [k, v] of Object.entries(values)) if (!(k in r) && names.includes(k)) r[k] = v;
  return r as StoredRecord;
}

/** A stable 18-character org Id for a name, so that the demo orgs keep their Ids across runs. */
export function orgIdFor(name: string): string {
  return makeId('00D', podFor(name), parseInt(createHash('sha256').update(name).digest('hex').slice(0, 8), 16) % 1e9);
}

function podFor(name: string): string {
  const h = createHash('sha256').update(`pod:${name}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  return alphabet[h[0]! % alphabet.length]! + alphabet[h[1]! % alphabet.length]!;
}
