/**
 * An ordered map from string keys to values, tuned for prefix scans over `/registry/…` keys.
 *
 * Keys are grouped into buckets by their first two path segments (`/registry/pods/`), so a scan of
 * `/registry/pods/ns1/` touches one bucket and binary-searches inside it instead of visiting
 * every key of the sandbox. A bucket keeps its keys in a sorted array that is built lazily on
 * the first scan (cheap bulk loads) and maintained incrementally afterwards (binary search +
 * splice). Key order is JavaScript string order (UTF-16 code units), which for the ASCII keys the
 * registry uses is byte order, as in etcd.
 */
export class KeyIndex<T> {
  private readonly buckets = new Map<string, Bucket<T>>();
  /** Sorted bucket ids, or null when a bucket was added or removed since the last sort. */
  private bucketIds: string[] | null = null;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): T | undefined {
    return this.buckets.get(bucketOf(key))?.map.get(key);
  }

  has(key: string): boolean {
    return this.buckets.get(bucketOf(key))?.map.has(key) ?? false;
  }

  /** Sets the value of a key; returns true when the key is new. */
  set(key: string, value: T): boolean {
    const id = bucketOf(key);
    let bucket = this.buckets.get(id);
    if (!bucket) {
      bucket = { map: new Map(), sorted: [] };
      this.buckets.set(id, bucket);
      this.bucketIds = null;
    }
    const isNew = !bucket.map.has(key);
    bucket.map.set(key, value);
    if (isNew) {
      this.count++;
      if (bucket.sorted) bucket.sorted.splice(lowerBound(bucket.sorted, key), 0, key);
    }
    return isNew;
  }

  /** Removes a key; returns true when it existed. */
  delete(key: string): boolean {
    const id = bucketOf(key);
    const bucket = this.buckets.get(id);
    if (!bucket || !bucket.map.delete(key)) return false;
    this.count--;
    if (bucket.map.size === 0) {
      this.buckets.delete(id);
      this.bucketIds = null;
    } else if (bucket.sorted) {
      bucket.sorted.splice(lowerBound(bucket.sorted, key), 1);
    }
    return true;
  }

  /**
   * Adds many keys without keeping buckets sorted (they are sorted once, on the next scan).
   * For loading a snapshot; the keys must not be present yet.
   */
  load(entries: Iterable<readonly [string, T]>): void {
    for (const [key, value] of entries) {
      const id = bucketOf(key);
      let bucket = this.buckets.get(id);
      if (!bucket) {
        bucket = { map: new Map(), sorted: null };
        this.buckets.set(id, bucket);
        this.bucketIds = null;
      }
      if (bucket.map.has(key)) throw new Error(`duplicate key in snapshot: ${key}`);
      bucket.map.set(key, value);
      bucket.sorted = null;
      this.count++;
    }
  }

  /**
   * Visits the keys starting with `prefix` and greater than `startAfter` (when given), in key
   * order, until `visit` returns false.
   */
  scan(prefix: string, startAfter: string | undefined, visit: (key: string, value: T) => boolean): void {
    for (const bucket of this.bucketsFor(prefix)) {
      const keys = sortedKeys(bucket);
      let i = startIndex(keys, prefix, startAfter);
      for (; i < keys.length; i++) {
        const key = keys[i]!;
        if (!key.startsWith(prefix)) break;
        if (!visit(key, bucket.map.get(key)!)) return;
      }
    }
  }

  /** How many keys start with `prefix` and are greater than `startAfter` (when given). */
  countRange(prefix: string, startAfter?: string): number {
    let total = 0;
    for (const bucket of this.bucketsFor(prefix)) {
      const keys = sortedKeys(bucket);
      const start = startIndex(keys, prefix, startAfter);
      const end = prefixEnd(keys, prefix);
      if (end > start) total += end - start;
    }
    return total;
  }

  /** Buckets that may hold keys with this prefix, in key order. */
  private bucketsFor(prefix: string): Bucket<T>[] {
    const slash = thirdSlash(prefix);
    if (slash >= 0) {
      // The prefix pins the bucket: every matching key shares its first two segments.
      const bucket = this.buckets.get(prefix.slice(0, slash + 1));
      return bucket ? [bucket] : [];
    }
    // A shorter prefix matches exactly the buckets whose id starts with it; ids sort like their keys.
    const ids = this.sortedBucketIds();
    const found: Bucket<T>[] = [];
    for (let i = lowerBound(ids, prefix); i < ids.length && ids[i]!.startsWith(prefix); i++) {
      found.push(this.buckets.get(ids[i]!)!);
    }
    return found;
  }

  private sortedBucketIds(): string[] {
    if (!this.bucketIds) this.bucketIds = [...this.buckets.keys()].sort(compare);
    return this.bucketIds;
  }
}

interface Bucket<T> {
  readonly map: Map<string, T>;
  /** The bucket's keys in order, or null until the next scan needs them. */
  sorted: string[] | null;
}

/**
 * The bucket of a key: the key up to and including its third `/` (`/registry/pods/`), or the
 * whole key when it has fewer. Bucket key ranges never interleave, so visiting buckets in id
 * order and keys in order within each yields global key order.
 */
function bucketOf(key: string): string {
  const slash = thirdSlash(key);
  return slash >= 0 ? key.slice(0, slash + 1) : key;
}

function thirdSlash(s: string): number {
  let index = -1;
  for (let n = 0; n < 3; n++) {
    index = s.indexOf("/", index + 1);
    if (index < 0) return -1;
  }
  return index;
}

function sortedKeys<T>(bucket: Bucket<T>): string[] {
  if (!bucket.sorted) bucket.sorted = [...bucket.map.keys()].sort(compare);
  return bucket.sorted;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index whose key is ≥ `key`. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose key is > `key`. */
function upperBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! <= key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function startIndex(keys: readonly string[], prefix: string, startAfter: string | undefined): number {
  const first = lowerBound(keys, prefix);
  return startAfter === undefined || startAfter < prefix ? first : Math.max(first, upperBound(keys, startAfter));
}

/** First index past the keys starting with `prefix` (sorted keys: below, matching, above). */
function prefixEnd(keys: readonly string[], prefix: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const key = keys[mid]!;
    if (key < prefix || key.startsWith(prefix)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
