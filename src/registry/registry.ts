import { ResourceStore, type RegistryDeps } from "./store";
import type { KindStrategy } from "./types";

/** Every served resource of a sandbox, by group/version/resource. */
export class Registry {
  private readonly byResource = new Map<string, ResourceStore>();
  /** Increases whenever the set of served kinds changes; caches of discovery and OpenAPI key on it. */
  generation = 0;

  constructor(readonly strategies: readonly KindStrategy[], deps: RegistryDeps) {
    for (const strategy of strategies) {
      this.byResource.set(resourceId(strategy.group, strategy.version, strategy.resource), new ResourceStore(strategy, deps));
    }
  }

  lookup(group: string, version: string, resource: string): ResourceStore | undefined {
    return this.byResource.get(resourceId(group, version, resource));
  }

  /** The store of a group/resource in its first registered version. */
  resource(group: string, resource: string): ResourceStore {
    for (const store of this.byResource.values()) {
      if (store.strategy.group === group && store.strategy.resource === resource) return store;
    }
    throw new Error(`resource ${resource}.${group} is not registered`);
  }

  stores(): ResourceStore[] {
    return [...this.byResource.values()];
  }
}

function resourceId(group: string, version: string, resource: string): string {
  return `${group}/${version}/${resource}`;
}
