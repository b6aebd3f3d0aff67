import { ResourceStore, type RegistryDeps } from "./store";
import type { KindStrategy } from "./types";

/**
 * Every served resource of a sandbox, by group/version/resource. Built-in kinds come at
 * construction; custom resources are defined and removed at run time (CustomResourceDefinitions).
 */
export class Registry {
  private readonly byResource = new Map<string, ResourceStore>();
  /** Increases whenever the set of served kinds changes; caches of discovery and OpenAPI key on it. */
  generation = 0;
  private strategiesCache: { generation: number; strategies: readonly KindStrategy[] } | null = null;
  private readonly defineListeners: ((store: ResourceStore) => void)[] = [];

  constructor(strategies: readonly KindStrategy[], private readonly deps: RegistryDeps) {
    for (const strategy of strategies) this.byResource.set(resourceId(strategy.group, strategy.version, strategy.resource), new ResourceStore(strategy, deps));
  }

  /** The served kinds, built-in first, then custom ones in the order they were defined. */
  get strategies(): readonly KindStrategy[] {
    if (this.strategiesCache?.generation !== this.generation) {
      this.strategiesCache = { generation: this.generation, strategies: [...this.byResource.values()].map((s) => s.strategy) };
    }
    return this.strategiesCache.strategies;
  }

  lookup(group: string, version: string, resource: string): ResourceStore | undefined {
    return this.byResource.get(resourceId(group, version, resource));
  }

  /** The store of a group/resource in its first registered version. */
  resource(group: string, resource: string): ResourceStore {
    const store = this.find(group, resource);
    if (!store) throw new Error(`resource ${resource}.${group} is not registered`);
    return store;
  }

  /** Like `resource`, but undefined when nothing serves the group/resource. */
  find(group: string, resource: string): ResourceStore | undefined {
    for (const store of this.byResource.values()) {
      if (store.strategy.group === group && store.strategy.resource === resource) return store;
    }
    return undefined;
  }

  stores(): ResourceStore[] {
    return [...this.byResource.values()];
  }

  /** Serves a kind's group/version/resource, replacing whatever served it before; returns its store. */
  define(strategy: KindStrategy): ResourceStore {
    const store = new ResourceStore(strategy, this.deps);
    this.byResource.set(resourceId(strategy.group, strategy.version, strategy.resource), store);
    this.generation++;
    for (const listener of this.defineListeners) listener(store);
    return store;
  }

  /** Calls `listener` with the store of every kind defined from now on. */
  onDefine(listener: (store: ResourceStore) => void): void {
    this.defineListeners.push(listener);
  }

  /** Stops serving every version of a group/resource (its stored objects stay in storage); true when something was served. */
  remove(group: string, resource: string): boolean {
    let removed = false;
    for (const [id, store] of this.byResource) {
      if (store.strategy.group === group && store.strategy.resource === resource) {
        this.byResource.delete(id);
        removed = true;
      }
    }
    if (removed) this.generation++;
    return removed;
  }
}

function resourceId(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}
