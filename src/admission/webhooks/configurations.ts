/**
 * The stored webhook configurations of one kind, kept current by a watch (as kube-apiserver's
 * informers keep them), so every write can ask "is there any webhook?" without reading storage.
 */
import { selectEverything } from "../../registry/selection";
import type { ResourceStore } from "../../registry/store";
import type { KObject } from "../../registry/types";

export class ConfigurationCache {
  private readonly byName = new Map<string, KObject>();
  private snapshot: readonly KObject[] = [];

  constructor(store: ResourceStore) {
    const { items, resourceVersion } = store.list("", { selection: selectEverything });
    for (const config of items) this.byName.set(config.metadata.name!, config);
    this.snapshot = [...this.byName.values()];
    store.watch("", Number(resourceVersion), selectEverything, ({ type, object }) => {
      if (type === "DELETED") this.byName.delete(object.metadata.name!);
      else this.byName.set(object.metadata.name!, object);
      this.snapshot = [...this.byName.values()];
    });
  }

  /** The configurations now (a snapshot: later changes make a new array). */
  get current(): readonly KObject[] {
    return this.snapshot;
  }
}
