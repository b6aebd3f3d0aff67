/**
 * Watch streams: one JSON event per line, flushed per event, never skipping, repeating or
 * reordering (events are delivered synchronously by the store at commit time).
 *
 * Starts: no resourceVersion or "0" → synthetic ADDED for every current object, then changes;
 * `sendInitialEvents=true` → the same, followed by a BOOKMARK annotated `k8s.io/initial-events-end`
 * (`sendInitialEvents=false` → no initial events, from the given or the latest resourceVersion);
 * resourceVersion N → changes after N (410 Expired as an ERROR event when N is compacted).
 */
import type { ObjectEvent, ResourceStore } from "../registry/store";
import type { Selection } from "../registry/selection";
import type { KObject } from "../registry/types";
import { StatusError } from "./status";

export interface WatchRequest {
  store: ResourceStore;
  namespace: string;
  selection: Selection;
  resourceVersion?: string;
  /** Synthetic ADDED events for the current state first (the default for resourceVersion "" and "0"). */
  sendInitialEvents: boolean;
  /** After the initial events, a BOOKMARK annotated `k8s.io/initial-events-end` (watch-list). */
  initialEventsEndBookmark: boolean;
  allowBookmarks: boolean;
  /** Seconds until the server ends the watch. */
  timeoutSeconds: number;
  /** How often a BOOKMARK is sent when bookmarks are allowed (also a liveness probe of the client). */
  bookmarkIntervalMs: number;
  /** Turns an event's object into what is sent (the object itself, a Table row, metadata only). */
  encodeObject(object: KObject, first: boolean): unknown;
  /** Called when the watch ends for any reason. */
  onClose?(): void;
}

/** Bytes a slow client may leave unread before the server drops its watch (it will re-list). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

const encoder = new TextEncoder();

export function watchResponse(req: WatchRequest): Response {
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  let buffered = 0;
  let closed = false;
  let first = true;
  let cancelWatch: (() => void) | null = null;
  let timeout: ReturnType<typeof setTimeout> | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;

  const close = () => {
    if (closed) return;
    closed = true;
    cancelWatch?.();
    clearTimeout(timeout);
    clearInterval(heartbeat);
    writer.close().catch(() => {});
    req.onClose?.();
  };

  // A client that goes away cancels the readable side, which errors the writable side: end the
  // watch at once (releasing its slot) rather than at the next event or the timeout.
  writer.closed.catch(() => close());

  const send = (payload: unknown) => {
    if (closed) return;
    const bytes = encoder.encode(JSON.stringify(payload) + "\n");
    buffered += bytes.byteLength;
    if (buffered > MAX_BUFFERED_BYTES) return close();
    writer.write(bytes).then(
      () => {
        buffered -= bytes.byteLength;
      },
      () => close(),
    );
  };

  const sendEvent = (event: ObjectEvent) => {
    send({ type: event.type, object: req.encodeObject(event.object, first) });
    first = false;
  };

  const bookmark = (annotations?: Record<string, string>) => {
    const { strategy, apiVersion, revision } = req.store;
    const metadata: Record<string, unknown> = { resourceVersion: String(revision) };
    if (annotations) metadata.annotations = annotations;
    send({ type: "BOOKMARK", object: { kind: strategy.kind, apiVersion, metadata } });
  };

  try {
    let after: number;
    const rv = req.resourceVersion;
    if (req.sendInitialEvents) {
      const list = req.store.list(req.namespace, { selection: req.selection });
      for (const object of list.items) sendEvent({ type: "ADDED", object });
      after = Number(list.resourceVersion);
      if (req.initialEventsEndBookmark) bookmark({ "k8s.io/initial-events-end": "true" });
    } else {
      // sendInitialEvents=false without a resourceVersion starts at the most recent state.
      after = rv && rv !== "0" ? Number(rv) : req.store.revision;
    }
    cancelWatch = req.store.watch(req.namespace, after, req.selection, sendEvent);
  } catch (e) {
    if (!(e instanceof StatusError)) throw e;
    send({ type: "ERROR", object: e.toStatus() });
    close();
  }

  if (!closed) {
    timeout = setTimeout(close, req.timeoutSeconds * 1000);
    if (req.allowBookmarks) heartbeat = setInterval(() => bookmark(), req.bookmarkIntervalMs);
  }

  return new Response(readable, {
    status: 200,
    headers: {
      "content-type": "application/json",
      "content-encoding": "identity",
      "cache-control": "no-cache, no-transform",
    },
  });
}
