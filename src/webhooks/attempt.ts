/**
 * One delivery attempt: the URL is checked again (src/webhooks/ssrf.ts), the message is POSTed
 * with its signed headers, redirects are never followed (a 3xx is a failed attempt), the
 * request is aborted after `timeoutMs`, and at most `maxResponseBytes` of the answer are read
 * for the delivery log.
 */
import type { AttemptResult } from "./dispatcher";
import { guardWebhookUrl, type GuardResult } from "./ssrf";

export interface AttemptOptions {
  fetch: typeof fetch;
  /** A monotonic clock in ms, for the latency. */
  now: () => number;
  timeoutMs?: number;
  maxResponseBytes?: number;
  allowLoopbackHttp?: boolean;
}

export const ATTEMPT_TIMEOUT_MS = 15_000;
export const MAX_RESPONSE_BYTES = 4096;

/**
 * Reads at most `limit` bytes of a body, then cancels the rest. A body that fails midway (the
 * timeout fired) yields what had arrived, with `cut` set.
 */
async function readCapped(body: ReadableStream<Uint8Array> | null, limit: number): Promise<{ text: string; cut: boolean }> {
  if (!body) return { text: "", cut: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let cut = false;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value.subarray(0, limit - size));
      size += Math.min(value.byteLength, limit - size);
    }
  } catch {
    cut = true;
  } finally {
    await reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(all), cut };
}

/** The guard's verdicts by URL and mode: a URL's verdict never changes (the guard reads no DNS). */
const verdicts = new Map<string, GuardResult>();
function guarded(url: string, allowLoopbackHttp: boolean): GuardResult {
  const key = `${allowLoopbackHttp ? 1 : 0}${url}`;
  let verdict = verdicts.get(key);
  if (!verdict) {
    if (verdicts.size >= 1000) verdicts.clear();
    verdicts.set(key, (verdict = guardWebhookUrl(url, { allowLoopbackHttp })));
  }
  return verdict;
}

/**
 * One POST of `body` with `headers` to `url`. Never throws: a refused URL (no request made), a
 * timeout or a network error is a result with `status: null` and an `error`; a 3xx is reported
 * with its status and an error (schedule.ts's `outcomeOf` retries it). The status decides the
 * outcome; a body still arriving when the timeout fires is cut there without changing it.
 */
export async function attempt(url: string, body: string, headers: Record<string, string>, options: AttemptOptions): Promise<AttemptResult> {
  const guard = guarded(url, options.allowLoopbackHttp ?? false);
  if (!guard.ok) return { status: null, latencyMs: 0, error: `refused URL: ${guard.reason}`, responseSnippet: "", retryAfter: null };
  const started = options.now();
  const timeoutMs = options.timeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const signal = controller.signal;
  try {
    const response = await options.fetch(guard.url.href, { method: "POST", headers, body, redirect: "manual", signal });
    const snippet = await readCapped(response.body, options.maxResponseBytes ?? MAX_RESPONSE_BYTES);
    const redirected = response.status >= 300 && response.status < 400;
    const error = redirected
      ? `redirect to ${response.headers.get("location") ?? "(no location)"} not followed`
      : snippet.cut
        ? `the answer's body did not finish within ${timeoutMs} ms`
        : undefined;
    return {
      status: response.status,
      latencyMs: options.now() - started,
      responseSnippet: snippet.text,
      retryAfter: response.headers.get("retry-after"),
      ...(error ? { error } : {}),
    };
  } catch (error) {
    const timedOut = signal.aborted;
    return {
      status: null,
      latencyMs: options.now() - started,
      error: timedOut ? `no answer within ${timeoutMs} ms` : `request failed: ${(error as Error).message}`,
      responseSnippet: "",
      retryAfter: null,
    };
  } finally {
    clearTimeout(timer);
  }
}
