// Field tables for k8s.io.api.events.v1 (k8s.io/api events/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const events: Record<string, string> = {
  Event: "1metadata:meta.ObjectMeta 2eventTime:M 3series?*:EventSeries 4reportingController? 5reportingInstance? 6action? 7reason? 8regarding?:core.ObjectReference 9related?*:core.ObjectReference 10note? 11type? 12deprecatedSource?:core.EventSource 13deprecatedFirstTimestamp?:T 14deprecatedLastTimestamp?:T 15deprecatedCount?:i",
  EventList: "1metadata?:meta.ListMeta 2items:[Event",
  EventSeries: "1count:i 2lastObservedTime:M",
};
