import type { RouteModule } from '../../emulator.js';

/** Placeholder: being written. */
export const bulkRoutes: RouteModule = {};
