/**
 * The mapping format's names, in a module of their own so the browser editor can share them with
 * the runtime without bundling the schema checks (ajv) that format.ts needs.
 */

/** The `format` every mapping document declares. */
export const MAPPING_FORMAT = 'orgbridge-mapping/1';

/** The templates shipped with the suite (see templates.ts), in the order the editor offers them. */
export const TEMPLATE_NAMES = ['Account', 'Contact', 'Opportunity'] as const;

export type TemplateName = (typeof TEMPLATE_NAMES)[number];
