import type { RouteModule } from '../../emulator.js';

/** Placeholder: being written. */
export const streamingRoutes: RouteModule = {};
