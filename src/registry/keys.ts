import type { KindDefinition } from "./types";

/** The storage key space of a kind: `<group>/<resource>` (or the shared storage resource). */
export function storageResource(kind: KindDefinition): string {
  if (kind.storage) return kind.storage.resource;
  return kind.group ? `${kind.group}/${kind.resource}` : kind.resource;
}

/** `/registry/<storage resource>/[<namespace>/]<name>`, as etcd keys of kube-apiserver. */
export function objectKey(kind: KindDefinition, namespace: string, name: string): string {
  return kind.namespaced ? `/registry/${storageResource(kind)}/${namespace}/${name}` : `/registry/${storageResource(kind)}/${name}`;
}

/** The prefix under which a list or watch of the kind finds its objects (all namespaces when `namespace` is empty). */
export function listPrefix(kind: KindDefinition, namespace: string): string {
  return kind.namespaced && namespace ? `/registry/${storageResource(kind)}/${namespace}/` : `/registry/${storageResource(kind)}/`;
}

export function apiVersionOf(kind: Pick<KindDefinition, "group" | "version">): string {
  return kind.group ? `${kind.group}/${kind.version}` : kind.version;
}
