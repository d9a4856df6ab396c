// The editor's global RED object, for nodes/*/editor.ts (checked with tsconfig.editor.json).
import type { EditorRED } from 'node-red';

declare global {
  const RED: EditorRED;
}
