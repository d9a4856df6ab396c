/** Reading known records again by Id: the emission step of a large run and preview samples. */
import { IDS_PER_QUERY } from './discover.js';
import type { OrgApi, QueryRow } from '../salesforce/org-api.js';
import { soqlIdList, soqlIdentifier } from './soql-text.js';

/** The rows of `ids` that still exist, `IDS_PER_QUERY` Ids per query, without `attributes`. */
export async function* readById(reader: OrgApi, objectName: string, fields: readonly string[], ids: readonly string[]): AsyncGenerator<QueryRow> {
  for (let i = 0; i < ids.length; i += IDS_PER_QUERY) {
    const soql = `SELECT ${fields.join(', ')} FROM ${soqlIdentifier(objectName)} WHERE Id IN ${soqlIdList(ids.slice(i, i + IDS_PER_QUERY))}`;
    for await (const page of reader.pages(soql, `reading ${objectName} records`)) {
      for (const row of page.records) {
        delete row.attributes;
        yield row;
      }
    }
  }
}
