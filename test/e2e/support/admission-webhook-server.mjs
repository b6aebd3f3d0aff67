/**
 * A test admission webhook on 127.0.0.1, in its own process (kubectl runs synchronously in the
 * test's process, which could not answer while it waits). Prints its port, then serves:
 * - POST /validate: denies objects labelled deny=true (403, with a message), warns otherwise;
 * - POST /mutate: adds the label mutated=yes with a JSONPatch;
 * - GET /reviews: every AdmissionReview request received so far.
 */
import { createServer } from "node:http";

const reviews = [];
const server = createServer((req, res) => {
  if (req.method === "GET" && req.url === "/reviews") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(reviews));
  let text = "";
  req.on("data", (c) => (text += c));
  req.on("end", () => {
    const review = JSON.parse(text);
    reviews.push(review);
    const { uid, object } = review.request;
    let response = { uid, allowed: true };
    if (req.url.startsWith("/validate")) {
      response =
        object?.metadata?.labels?.deny === "true"
          ? { uid, allowed: false, status: { code: 403, reason: "Forbidden", message: "pods labelled deny=true are not allowed here" } }
          : { uid, allowed: true, warnings: ["validated by the test webhook"] };
    } else if (req.url.startsWith("/mutate")) {
      const patch = object?.metadata?.labels ? [{ op: "add", path: "/metadata/labels/mutated", value: "yes" }] : [{ op: "add", path: "/metadata/labels", value: { mutated: "yes" } }];
      response = { uid, allowed: true, patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(patch)).toString("base64") };
    }
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response }));
  });
});
server.listen(0, "127.0.0.1", () => console.log(server.address().port));
