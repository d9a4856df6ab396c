import type { RouteModule } from '../../emulator.js';
import { bulkRoutes } from './bulk.js';
import { compositeRoutes } from './composite.js';
import { controlRoutes } from './control.js';
import { discoveryRoutes } from './discovery.js';
import { oauthRoutes } from './oauth.js';
import { queryRoutes } from './query.js';
import { soapRoutes } from './soap.js';
import { sobjectRoutes } from './sobjects.js';
import { streamingRoutes } from './streaming.js';

/** Every route module, in the order their routes are tried. */
export const ALL_ROUTES: RouteModule[] = [
  discoveryRoutes,
  oauthRoutes,
  sobjectRoutes,
  queryRoutes,
  compositeRoutes,
  bulkRoutes,
  streamingRoutes,
  soapRoutes,
  controlRoutes,
];
