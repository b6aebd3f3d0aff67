/**
 * The remote command WebSocket sub-protocol (k8s.io/apimachinery/pkg/util/httpstream/wsstream,
 * as kube-apiserver's stream translator speaks it to kubectl ≥ 1.30).
 *
 * Every binary message is one frame: a stream byte, then the payload. Streams: 0 stdin, 1 stdout,
 * 2 stderr, 3 error (one metav1.Status when the command ends: Success, or Failure with reason
 * NonZeroExitCode and the code as an `ExitCode` cause), 4 resize (terminal size JSON). v5 adds
 * the close signal: stream 255 with one byte naming the stream the client closed (stdin's EOF).
 */

export const STREAM = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

/** The sub-protocols served, most preferred first. */
export const SUBPROTOCOLS = ["v5.channel.k8s.io", "v4.channel.k8s.io"] as const;
export type Subprotocol = (typeof SUBPROTOCOLS)[number];

/** The sub-protocol to answer with for a `Sec-WebSocket-Protocol` header, or null when none fits. */
export function negotiateSubprotocol(header: string | null): Subprotocol | null {
  const offered = (header ?? "").split(",").map((p) => p.trim());
  return SUBPROTOCOLS.find((p) => offered.includes(p)) ?? null;
}

const encoder = new TextEncoder();

/** One frame of `stream`. */
export function encodeFrame(stream: number, payload: string | Uint8Array = ""): Uint8Array {
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  const frame = new Uint8Array(bytes.length + 1);
  frame[0] = stream;
  frame.set(bytes, 1);
  return frame;
}

/** A received frame's stream and payload; null for an empty message. */
export function decodeFrame(data: ArrayBuffer | Uint8Array | string): { stream: number; payload: Uint8Array } | null {
  const bytes = typeof data === "string" ? encoder.encode(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
  if (bytes.length === 0) return null;
  return { stream: bytes[0]!, payload: bytes.subarray(1) };
}

interface StreamStatus {
  kind: "Status";
  apiVersion: "v1";
  metadata: Record<string, never>;
  status: "Success" | "Failure";
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
  code?: number;
}

const base = { kind: "Status", apiVersion: "v1", metadata: {} } as const;

/** The error stream's message for a command that ended with `exitCode`. */
export function exitStatus(exitCode: number): StreamStatus {
  if (exitCode === 0) return { ...base, status: "Success" };
  return {
    ...base,
    status: "Failure",
    message: `command terminated with non-zero exit code: command terminated with exit code ${exitCode}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(exitCode) }] },
  };
}

/** The error stream's message when the stream could not run (kubectl prints `error: <message>`). */
export function internalErrorStatus(message: string): StreamStatus {
  return {
    ...base,
    status: "Failure",
    message: `Internal error occurred: ${message}`,
    reason: "InternalError",
    details: { causes: [{ reason: "", message }] },
    code: 500,
  };
}

/**
 * A request a SPDY client (kubectl ≤ 1.29, or a newer one falling back) sent: `Upgrade: SPDY/3.1`,
 * or, where a proxy dropped that hop-by-hop header, the `X-Stream-Protocol-Version` offers only
 * SPDY clients send.
 */
export function isSpdyUpgrade(request: Request): boolean {
  if (/^spdy\//i.test(request.headers.get("upgrade") ?? "")) return true;
  return !isWebSocketUpgrade(request) && request.headers.has("x-stream-protocol-version");
}

export function isWebSocketUpgrade(request: Request): boolean {
  return (request.headers.get("upgrade") ?? "").toLowerCase() === "websocket";
}
