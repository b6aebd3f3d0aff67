/**
 * The root CA certificate publisher (k8s.io/kubernetes pkg/controller/certificates/
 * rootcacertpublisher): every active namespace has the ConfigMap `kube-root-ca.crt` whose
 * `data["ca.crt"]` is the cluster CA bundle, annotated with `kubernetes.io/description`. A deleted
 * one is created again; an edited one gets its data back (other keys dropped, binaryData and labels
 * kept) and the description when that annotation is empty. A terminating namespace gets nothing new.
 *
 * Watch events → keys (reconciler `rootca`, keyed by namespace name): a Namespace added, or updated
 * while Active, enqueues its name; a ConfigMap named `kube-root-ca.crt` updated or deleted enqueues
 * its namespace. At start every namespace is enqueued.
 */
import type { Reconciler } from "../runtime";
import { activeNamespace, createInActiveNamespace, type NamespaceControllerDeps } from "./serviceaccounts";
import { getOrNull, isConflictOrNotFound } from "./workloads";

export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
export const ROOT_CA_KEY = "ca.crt";
export const DESCRIPTION_ANNOTATION = "kubernetes.io/description";
export const ROOT_CA_DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/**
 * A placeholder cluster CA: a well-formed self-signed X.509 certificate (RSA 2048, SHA-256,
 * `CN=kubernetes`, CA:TRUE, key usage digitalSignature/keyEncipherment/keyCertSign, SAN
 * `DNS:kubernetes`, valid 10 years), shaped like kubeadm's `ca.crt`, whose private key was thrown
 * away. It parses with `openssl x509` and Go's crypto/x509 but verifies nothing: sandboxes serve
 * TLS with the platform's certificate, and no package in this project signs certificates in
 * workerd. The same for every sandbox until the sandbox has a CA of its own.
 */
export const PLACEHOLDER_CA_CERTIFICATE = `
-----BEGIN CERTIFICATE-----
MIIDMjCCAhqgAwIBAgIUVn+AzvExUSnN3MCA7e/cDyB5CW0wDQYJKoZIhvcNAQEL
BQAwFTETMBEGA1UEAwwKa3ViZXJuZXRlczAeFw0yNjExMjIwNzE3MjRaFw0zNjEx
MTkwNzE3MjRaMBUxEzARBgNVBAMMCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEB
AQUAA4IBDwAwggEKAoIBAQCLdCxasJUSssUEpsFyPaxLuyXP8VCHdyWcbvqPyu/G
b6QrCtFo2+UM7TrQ7xddZiDpjzGi9hNlKbOtXpyi3LawgFu0g+mT5VJmo/p2n8kQ
SMyvR9aO0EUMbSYEdrY42B2exMkAyIf4ZJFZ9sdKNupLbXZIEwjISMRRwGmQ4w4c
hGbuwmKEC5jBzd+6bx8FFIcAjQ9LRWMcSdD9UvNE0OGJwoyY4za34wpF8TBzgwqh
s7HJpp1dkzb2My4ZI9LfSRmvlOIG2pak7zIJ+X5yRdD2kz5cNJ/hYXIJcRS57oBz
19eblVSDfflPm0JxS32gXGKL5lDDUJK9bWmFz4C8Ru49AgMBAAGjejB4MB0GA1Ud
DgQWBBQv5fnnbhZFYah0mwKZf7UV9E7djTAfBgNVHSMEGDAWgBQv5fnnbhZFYah0
mwKZf7UV9E7djTAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICpDAVBgNV
HREEDjAMggprdWJlcm5ldGVzMA0GCSqGSIb3DQEBCwUAA4IBAQBHuPmOOIouJx7c
xRk5KJPCpZjOUVOCaWBU5uv3lJiyz6f/NKMa3RSzw7vsg52+QIIiuRoQF4yg+Qj+
WWJPaU+pHYpAWXvoE3lsITAU9zJsOqiJ0nNWwp5MbuENJi8vcVjOlix2mN/zwCy6
7+jt4MkgOIGN7724W49Mr8rf2WKT/js3pBCcga41oXwL3NB32cwfddcgbR/K8fyk
xEKMsiVlstDDDPSrPcIEvOQIIBrhze9W8WvNTVGsekb0Ap7xAbb0rfrCCJEb7Vff
9ZlXx4oTZWelwN1Bw7VJjsddCfOE+tk+J8MK3KuciYCp2yQM8VnZcDReyBbUNESG
gbwBhF+H
-----END CERTIFICATE-----
`.trimStart();

export interface RootCADeps extends NamespaceControllerDeps {
  /** The CA bundle to publish (PEM); default {@link PLACEHOLDER_CA_CERTIFICATE}. */
  caCertificate?: string;
}

/** Publishes `kube-root-ca.crt` in a namespace (key: the namespace name). */
export function rootCAReconciler(deps: RootCADeps): Reconciler {
  const configMaps = deps.registry.resource("", "configmaps");
  const data = { [ROOT_CA_KEY]: deps.caCertificate ?? PLACEHOLDER_CA_CERTIFICATE };
  return async (namespace) => {
    if (!activeNamespace(deps.registry, namespace)) return;
    const current = getOrNull(configMaps, namespace, ROOT_CA_CONFIGMAP);
    if (!current) {
      const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } }, data };
      return createInActiveNamespace(deps.registry, configMaps, namespace, cm, deps.user);
    }
    if (isUpToDate(current.data, current.metadata.annotations, data)) return;
    try {
      await configMaps.patch(
        namespace,
        ROOT_CA_CONFIGMAP,
        (cm) => ({ ...cm, metadata: { ...cm.metadata, annotations: { ...cm.metadata.annotations, [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } }, data }),
        { user: deps.user },
      );
    } catch (e) {
      // Deleted or changed meanwhile: the watch enqueues the namespace again.
      if (!isConflictOrNotFound(e)) throw e;
    }
  };
}

/** Upstream's check: exactly the wanted data, and a non-empty description annotation. */
function isUpToDate(current: Record<string, string> | undefined, annotations: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  const keys = Object.keys(current ?? {});
  return keys.length === Object.keys(wanted).length && keys.every((k) => current![k] === wanted[k]) && !!annotations?.[DESCRIPTION_ANNOTATION];
}
