// Field tables for k8s.io.api.discovery.v1 (k8s.io/api discovery/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const discovery: Record<string, string> = {
  Endpoint: "1addresses:[s 2conditions?:EndpointConditions 3hostname?* 4targetRef?*:core.ObjectReference 5deprecatedTopology?:{s 6nodeName?* 7zone?* 8hints?*:EndpointHints",
  EndpointConditions: "1ready?*:b 2serving?*:b 3terminating?*:b",
  EndpointHints: "1forZones?:[ForZone 2forNodes?:[ForNode",
  EndpointPort: "1name?* 2protocol?* 3port?*:i 4appProtocol?*",
  EndpointSlice: "1metadata?:meta.ObjectMeta 4addressType 2endpoints:[Endpoint 3ports:[EndpointPort",
  EndpointSliceList: "1metadata?:meta.ListMeta 2items:[EndpointSlice",
  ForNode: "1name",
  ForZone: "1name",
};
