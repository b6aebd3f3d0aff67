/**
 * What the generic registry knows about a kind. A kind is configuration plus a small strategy;
 * the create/update/delete order lives once, in `store.ts`. Strategies mutate the object they are
 * given (already a private clone) and never do I/O.
 */
import type { FieldError } from "../apiserver/status";
import type { Authorizer } from "../auth/authorizer";

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string | null;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [extra: string]: unknown;
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any Kubernetes object in its JSON form. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [field: string]: any;
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Allocates cluster-wide addresses; implemented by the sandbox, passed to strategies. */
export interface AddressAllocator {
  /** Reserves `requested` (or the next free address) from the service CIDR; throws a FieldError list via the caller if taken. */
  allocateServiceIP(requested?: string): { ip: string } | { error: string };
  /** Reserves `requested` or a free port from 30000-32767. */
  allocateNodePort(requested?: number): { port: number } | { error: string };
}

export interface StrategyContext {
  /** Wall-clock time of the request (from the sandbox clock). */
  now: Date;
  user: UserInfo;
  allocator: AddressAllocator;
  /** The current objects of a cluster-scoped resource, for admission that reads other kinds (Priority reads PriorityClasses); absent: none. */
  listClusterObjects?(group: string, resource: string): KObject[];
  /** The sandbox's authorizer, for checks that depend on what the writer may do (RBAC escalation); absent: none. */
  authorizer?: Authorizer;
}

export interface TableColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description: string;
  /** 0: default output; 1: only with `-o wide`. */
  priority: number;
}

export interface TableConvention {
  /** Columns after the implicit Name column (first, format "name"); with `ownsNameColumn`, all columns. */
  columns: TableColumn[];
  /** The columns include Name themselves, wherever they place it (Events list it last, wide only). */
  ownsNameColumn?: boolean;
  /** The cells for those columns, one per column. */
  cells(obj: KObject, now: Date): unknown[];
}

export interface ScalePaths {
  /** Dotted JSON paths, e.g. `spec.replicas`. */
  specReplicas: string;
  statusReplicas: string;
  /** Where the label selector lives (an object selector, rendered as a string in Scale.status.selector). */
  labelSelector: string;
}

export interface KindDefinition {
  group: string;
  version: string;
  kind: string;
  /** Plural lower-case resource name, e.g. `deployments`. */
  resource: string;
  singular: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Verbs on the main resource; defaults to every verb. */
  verbs?: string[];
  /** How metadata.name is validated (upstream: most kinds subdomain; namespaces dns1123-label; services dns1035-label). Default subdomain. */
  nameRule?: "subdomain" | "dns1123-label" | "dns1035-label" | "path-segment";
  /** metadata.generation is 1 on create and increases whenever anything outside metadata and status changes. */
  tracksGeneration?: boolean;
  subresources?: {
    /** A status subresource; `"with-annotations"`: status writes may change annotations too (upstream's Deployment status strategy). */
    status?: boolean | "with-annotations";
    scale?: ScalePaths;
    /** Further subresources served by dedicated handlers (e.g. pods/binding), listed in discovery. */
    extra?: { name: string; group: string; version: string; kind: string; verbs: string[] }[];
  };
  /** PUT of a missing object creates it (upstream: Event, Endpoints, Lease). */
  allowCreateOnUpdate?: boolean;
  /** A create keeps the client's status (Node: the kubelet registers with its status); otherwise status is cleared on create. */
  keepsStatusOnCreate?: boolean;
  /** DELETE answers with the deleted object instead of a Status (pods, as upstream). */
  returnDeletedObject?: boolean;
  /**
   * Several group-versions may share one storage (core/v1 Event and events.k8s.io/v1 Event).
   * `storageResource` names the shared key space (defaults to `<group>/<resource>`), and the
   * conversions map between this version and the stored form.
   */
  storage?: {
    resource: string;
    toStorage(obj: KObject): KObject;
    fromStorage(stored: KObject): KObject;
  };
}

export interface KindStrategy extends KindDefinition {
  /**
   * The OpenAPI v3 schema of the kind's objects, when the kind brings its own (a custom resource:
   * its CRD version's `openAPIV3Schema`). Built-in kinds leave it unset; src/schema describes them.
   */
  openApiSchema?: Record<string, unknown>;
  /** Defaulting and clearing of fields a client may not set on create (status, for kinds with a status subresource). */
  prepareForCreate?(obj: KObject, ctx: StrategyContext): FieldError[] | void;
  /** Same for update; `old` is the stored object (read-only). */
  prepareForUpdate?(obj: KObject, old: KObject, ctx: StrategyContext): FieldError[] | void;
  /** Upstream validation for create; field paths as upstream (`spec.containers[0].image`). */
  validate?(obj: KObject): FieldError[];
  /** Extra validation for updates (immutable fields…); `validate` runs too. */
  validateUpdate?(obj: KObject, old: KObject): FieldError[];
  /** Kind-specific selectable fields (beyond metadata.name and metadata.namespace), as upstream's field sets. */
  selectableFields?(obj: KObject): Record<string, string>;
  /**
   * Deletion held by the kind itself beyond metadata.finalizers (Namespace: while spec.finalizers
   * is non-empty). A held object stays, with deletionTimestamp, until this returns false.
   */
  holdsDeletion?(obj: KObject): boolean;
  /**
   * Graceful deletion: the seconds a DELETE waits before the object goes (Pod: its
   * terminationGracePeriodSeconds while bound to a node; 0 = at once). The object stays, with
   * deletionTimestamp = now + grace, until someone deletes it again with a grace period of 0.
   */
  deletionGracePeriod?(obj: KObject, requestedSeconds?: number): number;
  /** Refuses the delete of `name` with a StatusError, as an admission plugin guarding deletes (NamespaceLifecycle's immortal namespaces). */
  admitDelete?(name: string): void;
  /** Marks an object whose deletion is held (Namespace: status.phase Terminating). */
  prepareForDeletion?(obj: KObject): void;
  /** Columns of `kubectl get`; absent → Name + Created At. */
  table?: TableConvention;
}
