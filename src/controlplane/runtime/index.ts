/** The control-plane runtime: one queue for every controller, and the alarm time it asks for. */
export {
  RuntimeQueue,
  DEFAULT_BUDGET,
  type QueueClock,
  type QueueOptions,
  type EnqueueOptions,
  type Reconciler,
  type Reconcilers,
  type ReconcileResult,
  type ReconcileFailure,
  type RunBudget,
  type RunResult,
  type QueuedItem,
} from "./queue";
export {
  ExponentialFailureRateLimiter,
  DEFAULT_BACKOFF_BASE_MS,
  DEFAULT_BACKOFF_MAX_MS,
  type RateLimiter,
} from "./rate-limiter";
export { coalesceDueAt, alarmTimeFor, DEFAULT_COALESCE_MS, type AlarmClock } from "./coalesce";
