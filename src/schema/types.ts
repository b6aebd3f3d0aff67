/** What the protobuf message tables do not say about a field (upstream markers and struct tags). */
export interface FieldAnnotation {
  /** `x-kubernetes-patch-strategy`: how strategic merge patch treats the field. */
  readonly patchStrategy?: "merge" | "retainKeys" | "merge,retainKeys" | "replace";
  /** `x-kubernetes-patch-merge-key`: the key merged list items are matched by. */
  readonly patchMergeKey?: string;
  /** `x-kubernetes-list-type`. */
  readonly listType?: "atomic" | "set" | "map";
  /** `x-kubernetes-list-map-keys`, for `listType: map`. */
  readonly listMapKeys?: readonly string[];
  /** `x-kubernetes-map-type`. */
  readonly mapType?: "atomic" | "granular";
  /** The values of the field's `+enum` string type. */
  readonly enum?: readonly string[];
}

/** A group/version/kind as OpenAPI's `x-kubernetes-group-version-kind` lists it. */
export interface GroupVersionKind {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
}
