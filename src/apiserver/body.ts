/**
 * Request bodies: size-limited reading and decoding of JSON, YAML and Kubernetes protobuf.
 */
import { parse as parseYaml } from "yaml";
import { decodeKubernetesProtobuf } from "./protobuf/decode";
import { mediaType } from "./negotiate";
import { errors } from "./status";

/** Largest request body accepted (bytes), as kube-apiserver's 3 MiB limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export async function readBody(request: Request): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) {
    await request.body?.cancel();
    throw errors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
  }
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > MAX_BODY_BYTES) {
      await reader.cancel();
      throw errors.tooLarge(`Request entity too large: limit is ${MAX_BODY_BYTES}`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    out.set(c, offset);
    offset += c.byteLength;
  }
  return out;
}

const textDecoder = new TextDecoder();

/** Decodes an object body (create/update) per its Content-Type; a missing Content-Type means JSON. */
export function decodeObject(bytes: Uint8Array, contentType: string | null, expectedKind: string): unknown {
  const type = mediaType(contentType);
  if (type === "application/vnd.kubernetes.protobuf") {
    try {
      return decodeKubernetesProtobuf(bytes).object;
    } catch (e) {
      throw errors.badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): ${(e as Error).message}`);
    }
  }
  if (type === "" || type === "application/json" || type === "*/*") return parseJson(bytes, expectedKind);
  if (type === "application/yaml" || type === "application/x-yaml" || type === "text/yaml") return parseYamlBody(bytes, expectedKind);
  throw errors.unsupportedMediaType(type, ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"]);
}

export function parseJson(bytes: Uint8Array, expectedKind: string): unknown {
  const text = textDecoder.decode(bytes);
  if (text.trim() === "") throw errors.badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): couldn't get version/kind; json parse error: unexpected end of JSON input`);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw errors.badRequest(
      `the object provided is unrecognized (must be of type ${expectedKind}): couldn't get version/kind; json parse error: ${(e as Error).message}`,
    );
  }
}

export function parseYamlBody(bytes: Uint8Array, expectedKind: string): unknown {
  try {
    // Repeated keys are not an error here (the last one wins, as upstream's YAML-to-JSON
    // conversion); fieldValidation reports them (see field-validation.ts).
    return parseYaml(textDecoder.decode(bytes), { maxAliasCount: 100, uniqueKeys: false });
  } catch (e) {
    throw errors.badRequest(`the object provided is unrecognized (must be of type ${expectedKind}): error converting YAML to JSON: ${(e as Error).message}`);
  }
}
