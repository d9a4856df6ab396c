import type { DescribeField } from '../../../lib/mapping/describe.js';
import { orgDescribe, orgObjects } from '../../shared/editor/org-api.js';
import { fieldRows } from './field-rows.js';
import { connectionOf, fieldLabel, fillDatalist, objectOf } from './form-values.js';
import { refreshAllNotes } from './notes.js';
import { DL, P, live, s, type Catalog, type Side } from './session.js';

// Describes: the object and field pickers, filled from the orgs through the shared routes.

export function catalogOf(d: { name: string; label: string; fields: DescribeField[] }): Catalog {
  return { object: d.name, label: d.label, fields: d.fields, byName: new Map(d.fields.map((f) => [f.name.toLowerCase(), f])) };
}

export function hint(side: Side, message: string): void {
  $(`#${P}-${side}-hint`).text(message).toggle(!!message);
}

export async function loadObjects(side: Side, refresh = false): Promise<void> {
  const asked = s();
  const conn = connectionOf(side);
  const list = side === 'source' ? DL.sourceObjects : DL.targetObjects;
  if (!conn) {
    fillDatalist(list, []);
    hint(side, s().t('hint.choose-connection'));
    return;
  }
  try {
    const objects = await orgObjects(conn, refresh);
    if (!live(asked) || connectionOf(side) !== conn) return;
    fillDatalist(list, objects.map((o) => [o.name, o.label]));
    hint(side, '');
  } catch (err) {
    if (!live(asked)) return;
    fillDatalist(list, []);
    hint(side, (err as Error).message);
  }
}

export async function loadDescribe(side: Side, refresh = false): Promise<void> {
  const session = s();
  const conn = connectionOf(side);
  const object = objectOf(side);
  delete session.catalogs[side];
  if (conn && object) {
    try {
      const d = await orgDescribe(conn, object, refresh);
      if (!live(session) || connectionOf(side) !== conn || objectOf(side) !== object) return;
      session.catalogs[side] = catalogOf(d);
      if (side === 'target') session.parents.set(d.name.toLowerCase(), Promise.resolve(session.catalogs.target));
      hint(side, '');
    } catch (err) {
      if (!live(session)) return;
      hint(side, (err as Error).message);
    }
  }
  fillFieldLists(side);
  refreshAllNotes();
}

export function fillFieldLists(side: Side): void {
  const c = s().catalogs[side];
  const fields = c?.fields ?? [];
  const opt = (f: DescribeField): [string, string] => [f.name, fieldLabel(f)];
  if (side === 'source') {
    fillDatalist(DL.sourceFields, fields.filter((f) => f.type !== 'address' && f.type !== 'location').map(opt));
    fillDatalist(DL.sourceLookups, fields.filter((f) => f.type === 'reference').map(opt));
  } else {
    const writable = fields.filter((f) => (f.createable || f.updateable) && !f.calculated && !f.autoNumber);
    fillDatalist(DL.targetFields, writable.filter((f) => f.type !== 'reference').map(opt));
    fillDatalist(DL.targetLookups, writable.filter((f) => f.type === 'reference').map(opt));
    fillDatalist(DL.targetExternalIds, fields.filter((f) => f.externalId).map(opt));
  }
  fieldRows().forEach(({ controls }) => controls.valueMap.refresh());
}

/** A describe of `object` in the target org, for the external Id picker of a relationship. */
export function parentCatalog(object: string): Promise<Catalog | undefined> {
  const session = s();
  const key = object.toLowerCase();
  let found = session.parents.get(key);
  const conn = connectionOf('target');
  if (!found && conn && object) {
    found = orgDescribe(conn, object).then(catalogOf, () => {
      session.parents.delete(key);
      return undefined;
    });
    session.parents.set(key, found);
  }
  return found ?? Promise.resolve(undefined);
}
