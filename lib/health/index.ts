export { checkConnection, API_CALLS_PER_CHECK, DEFAULT_CHECK_TIMEOUT_MS, type HealthCheckOptions } from './check-connection.js';
export { severityOf, type HealthSample, type AvailabilityStatus, type Severity } from './health-sample.js';
export { HealthMonitor, type CheckResult, type HealthMonitorOptions, type StatusTransition, type UptimeReport } from './health-monitor.js';
export { orgStatusEvent, ORG_STATUS_EVENT, type OrgStatusEventFields, type OrgStatusSource } from './status-event.js';
export {
  subscriptionLiveness, livenessProblems, isProblem, stallAfterMs, DEFAULT_POLL_TIMEOUT_MS, MIN_STALL_MS,
  type LivenessOptions, type LivenessVerdict, type SubscriptionLiveness,
} from './subscription-liveness.js';
export { LivenessTransitions, reasonOf as livenessReason, type LivenessScope, type LivenessTransition } from './liveness-transitions.js';
export { durationText } from './duration-text.js';
