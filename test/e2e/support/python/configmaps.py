"""
Drives a sandbox with Debian's python3-kubernetes, the way a user's script would.

Usage: configmaps.py KUBECONFIG NAMESPACE WATCHED_NAME WATCH_SECONDS

Prints one JSON object per line (flushed), each with a "step":
  namespaces  the names `list_namespace` returned
  created     the ConfigMap "py-created" as `create_namespaced_config_map` returned it
  patched     after a strategic merge patch (dict body) and a JSON patch (list body)
  watching    `watch.Watch().stream` is about to start
  event       one watch event: type, name, resourceVersion, data
and ends once a MODIFIED event of WATCHED_NAME arrives (exit 0) or the server ends the watch
after WATCH_SECONDS without one (exit 1).
"""
import json
import sys

import urllib3
from kubernetes import client, config, watch


def emit(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


def main():
    kubeconfig, namespace, watched_name, watch_seconds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    # The local server's certificate is self-signed and the kubeconfig says insecure-skip-tls-verify.
    urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    config.load_kube_config(config_file=kubeconfig)
    v1 = client.CoreV1Api()

    emit("namespaces", names=[ns.metadata.name for ns in v1.list_namespace().items])

    body = client.V1ConfigMap(metadata=client.V1ObjectMeta(name="py-created", labels={"made-by": "python"}), data={"a": "1"})
    created = v1.create_namespaced_config_map(namespace, body)
    emit("created", name=created.metadata.name, resourceVersion=created.metadata.resource_version, data=created.data)

    # A dict body is sent as a strategic merge patch, a list body as a JSON patch.
    v1.patch_namespaced_config_map("py-created", namespace, {"data": {"b": "2"}, "metadata": {"labels": {"patched": "strategic"}}})
    patched = v1.patch_namespaced_config_map("py-created", namespace, [{"op": "add", "path": "/data/c", "value": "3"}])
    emit("patched", resourceVersion=patched.metadata.resource_version, data=patched.data, labels=patched.metadata.labels)

    emit("watching")
    for event in watch.Watch().stream(v1.list_namespaced_config_map, namespace, timeout_seconds=watch_seconds):
        obj = event["object"]
        emit("event", type=event["type"], name=obj.metadata.name, resourceVersion=obj.metadata.resource_version, data=obj.data)
        if event["type"] == "MODIFIED" and obj.metadata.name == watched_name:
            return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
