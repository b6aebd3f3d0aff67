/**
 * The ServiceAccount admission plugin for pods: the `default` account when none is named, and,
 * unless the pod or its account opts out of automounting, the projected `kube-api-access-xxxxx`
 * volume (token, the cluster CA, the namespace) mounted read-only in every container at
 * /var/run/secrets/kubernetes.io/serviceaccount, as upstream writes it.
 */
import type { KObject } from "../registry/types";

export const SERVICE_ACCOUNT_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount";
const MIRROR_ANNOTATION = "kubernetes.io/config.mirror";
const NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

function randomSuffix(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(5)), (b) => NAME_ALPHABET[b % NAME_ALPHABET.length]).join("");
}

function tokenVolume(name: string) {
  return {
    name,
    projected: {
      defaultMode: 420,
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
        { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
        { downwardAPI: { items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }] } },
      ],
    },
  };
}

/** Sets the pod's account and token volume in place; `account` is its ServiceAccount, when it exists. */
export function admitServiceAccount(pod: KObject, account: (name: string) => KObject | null): void {
  if (pod.metadata.annotations?.[MIRROR_ANNOTATION] !== undefined) return;
  const spec = (pod.spec ??= {});
  spec.serviceAccountName ||= spec.serviceAccount || "default";
  if (spec.automountServiceAccountToken === false) return;
  if (spec.automountServiceAccountToken === undefined && account(spec.serviceAccountName)?.automountServiceAccountToken === false) return;
  type Container = { volumeMounts?: { name?: string; readOnly?: boolean; mountPath?: string }[] };
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? [])] as Container[];
  if (containers.some((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT))) return;
  const name = `kube-api-access-${randomSuffix()}`;
  spec.volumes = [...(spec.volumes ?? []), tokenVolume(name)];
  for (const c of containers) c.volumeMounts = [...(c.volumeMounts ?? []), { name, readOnly: true, mountPath: SERVICE_ACCOUNT_MOUNT }];
}
