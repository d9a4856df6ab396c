import type { RouteModule } from '../../emulator.js';
import { compositeRoutes } from './composite.js';
import { controlRoutes } from './control.js';
import { discoveryRoutes } from './discovery.js';
import { oauthRoutes } from './oauth.js';
import { queryRoutes } from './query.js';
import { sobjectRoutes } from './sobjects.js';

/** Every route module, in the order their routes are tried. */
export const ALL_ROUTES: RouteModule[] = [discoveryRoutes, oauthRoutes, sobjectRoutes, queryRoutes, compositeRoutes, controlRoutes];
