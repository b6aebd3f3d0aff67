import { errors } from "../apiserver/status";

/**
 * The opaque `continue` token of a paged list: the revision the first page was read at and the
 * key to continue after, so every page comes from one consistent snapshot.
 */
export interface ContinuePoint {
  revision: number;
  startAfter: string;
}

export function encodeContinue(point: ContinuePoint): string {
  const json = JSON.stringify({ v: "meta.k8s.io/v1", rv: point.revision, start: point.startAfter });
  return btoa(String.fromCharCode(...new TextEncoder().encode(json))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeContinue(token: string): ContinuePoint {
  try {
    const b64 = token.replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const parsed = JSON.parse(new TextDecoder().decode(bytes));
    if (parsed.v !== "meta.k8s.io/v1" || typeof parsed.rv !== "number" || typeof parsed.start !== "string") throw new Error();
    return { revision: parsed.rv, startAfter: parsed.start };
  } catch {
    throw errors.badRequest(`invalid continue token`);
  }
}

export const continueExpiredMessage =
  "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.";
