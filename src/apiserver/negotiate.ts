/**
 * Content negotiation: what a client asked to get back (a Table, metadata only, or the object)
 * and how the request body is encoded.
 */

export type ResponseShape = "object" | "table" | "metadata";

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string | null): MediaRange[] {
  if (!accept) return [];
  return accept.split(",").map((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim());
    const parsed: Record<string, string> = {};
    for (const p of params) {
      const i = p.indexOf("=");
      if (i > 0) parsed[p.slice(0, i).trim()] = p.slice(i + 1).trim();
    }
    return { type: type.toLowerCase(), params: parsed };
  });
}

/** The first acceptable shape in the client's order of preference (`as=Table;g=meta.k8s.io` and friends). */
export function responseShape(accept: string | null, isList: boolean): ResponseShape {
  for (const range of parseAccept(accept)) {
    const as = range.params.as;
    if (!as) {
      if (range.type === "application/json" || range.type === "*/*" || range.type === "application/*" || range.type.includes("yaml") || range.type.includes("protobuf")) {
        return "object";
      }
      continue;
    }
    if (range.params.g !== "meta.k8s.io") continue;
    if (as === "Table" && (range.params.v === "v1" || range.params.v === "v1beta1")) return "table";
    if ((as === "PartialObjectMetadata" && !isList) || (as === "PartialObjectMetadataList" && isList)) return "metadata";
  }
  return "object";
}

/** The aggregated discovery version the client accepts (`apidiscovery.k8s.io` v2 or v2beta1), if any. */
export function aggregatedDiscoveryVersion(accept: string | null): "v2" | "v2beta1" | null {
  for (const range of parseAccept(accept)) {
    if (range.params.g === "apidiscovery.k8s.io" && range.params.as === "APIGroupDiscoveryList") {
      if (range.params.v === "v2" || range.params.v === "v2beta1") return range.params.v;
    }
    if (range.type === "application/json" && !range.params.as) return null;
  }
  return null;
}

export function mediaType(contentType: string | null): string {
  return (contentType ?? "").split(";")[0].trim().toLowerCase();
}
