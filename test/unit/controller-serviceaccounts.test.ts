import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { serviceAccountReconciler } from "../../src/controlplane/controllers/serviceaccounts";
import { DESCRIPTION_ANNOTATION, PLACEHOLDER_CA_CERTIFICATE, ROOT_CA_CONFIGMAP, ROOT_CA_DESCRIPTION, rootCAReconciler } from "../../src/controlplane/controllers/root-ca";
import { systemNamespaces } from "../../src/sandbox/bootstrap";
import { systemUser } from "../../src/sandbox/sandbox";
import { quietSandbox } from "./support/cluster";

async function world() {
  const { clock, registry } = await quietSandbox();
  const deps = { registry, user: systemUser, now: () => clock.now() };
  const user = { user: systemUser };
  const namespaces = registry.resource("", "namespaces");
  const serviceAccounts = registry.resource("", "serviceaccounts");
  const configMaps = registry.resource("", "configmaps");
  const w = {
    registry,
    sac: serviceAccountReconciler(deps),
    rootca: rootCAReconciler(deps),
    serviceAccounts,
    configMaps,
    user,
    /** The storage revision: unchanged when a pass wrote nothing. */
    revision: () => namespaces.revision,
    createNamespace: (name: string) => namespaces.create("", { apiVersion: "v1", kind: "Namespace", metadata: { name } }, user),
    /** Deletes a namespace that holds an object, so it stays Terminating (nobody finalizes it here). */
    async terminate(name: string) {
      await w.createNamespace(name);
      await configMaps.create(name, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "keep" } }, user);
      await namespaces.delete("", name, user);
      expect(namespaces.get("", name).status.phase).toBe("Terminating");
    },
    sa: (ns: string) => serviceAccounts.list(ns, { selection: { matches: () => true } }).items.map((s) => s.metadata.name),
    rootCA: (ns: string) => {
      try {
        return configMaps.get(ns, ROOT_CA_CONFIGMAP);
      } catch {
        return null;
      }
    },
  };
  return w;
}

describe("serviceAccountReconciler", () => {
  it("gives a new namespace its default ServiceAccount, and a second pass writes nothing", async () => {
    const w = await world();
    await w.createNamespace("team");
    expect(w.sa("team")).toEqual([]);
    await w.sac("team");
    expect(w.sa("team")).toEqual(["default"]);
    const revision = w.revision();
    await w.sac("team");
    expect(w.revision()).toBe(revision);
  });

  it("recreates a deleted default ServiceAccount, and leaves an existing one as it is", async () => {
    const w = await world();
    await w.serviceAccounts.delete("default", "default", w.user);
    await w.sac("default");
    expect(w.sa("default")).toEqual(["default"]);

    await w.serviceAccounts.patch("default", "default", (sa) => ({ ...sa, metadata: { ...sa.metadata, labels: { team: "a" } }, automountServiceAccountToken: false }), w.user);
    const revision = w.revision();
    await w.sac("default");
    expect(w.revision()).toBe(revision);
    expect(w.serviceAccounts.get("default", "default")).toMatchObject({ metadata: { labels: { team: "a" } }, automountServiceAccountToken: false });
  });

  it("creates nothing in a terminating or missing namespace", async () => {
    const w = await world();
    await w.terminate("leaving");
    const revision = w.revision();
    await w.sac("leaving");
    await w.sac("never-existed");
    expect(w.sa("leaving")).toEqual([]);
    expect(w.revision()).toBe(revision);
  });
});

describe("rootCAReconciler", () => {
  it("publishes kube-root-ca.crt in every system namespace, as a kubeadm cluster has it", async () => {
    const w = await world();
    for (const ns of systemNamespaces) await w.rootca(ns);
    for (const ns of systemNamespaces) {
      expect(w.rootCA(ns)).toMatchObject({
        metadata: { name: "kube-root-ca.crt", namespace: ns, annotations: { "kubernetes.io/description": ROOT_CA_DESCRIPTION } },
        data: { "ca.crt": PLACEHOLDER_CA_CERTIFICATE },
      });
    }
    const revision = w.revision();
    for (const ns of systemNamespaces) await w.rootca(ns);
    expect(w.revision()).toBe(revision);
  });

  it("publishes a well-formed self-signed CA certificate, kubeadm's CN=kubernetes", () => {
    const cert = new X509Certificate(PLACEHOLDER_CA_CERTIFICATE);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe("CN=kubernetes");
    expect(cert.checkIssued(cert)).toBe(true);
    expect(cert.verify(cert.publicKey)).toBe(true);
  });

  it("publishes the certificate it is given", async () => {
    const w = await world();
    const pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    await rootCAReconciler({ registry: w.registry, user: systemUser, caCertificate: pem })("default");
    expect(w.rootCA("default")?.data).toEqual({ "ca.crt": pem });
  });

  it("recreates a deleted kube-root-ca.crt", async () => {
    const w = await world();
    await w.rootca("default");
    await w.configMaps.delete("default", ROOT_CA_CONFIGMAP, w.user);
    await w.rootca("default");
    expect(w.rootCA("default")?.data).toEqual({ "ca.crt": PLACEHOLDER_CA_CERTIFICATE });
  });

  it("restores edited data and a removed description, keeping labels", async () => {
    const w = await world();
    await w.rootca("default");
    await w.configMaps.patch(
      "default",
      ROOT_CA_CONFIGMAP,
      (cm) => ({ ...cm, metadata: { ...cm.metadata, labels: { mine: "yes" }, annotations: {} }, data: { "ca.crt": "tampered", extra: "x" } }),
      w.user,
    );
    await w.rootca("default");
    expect(w.rootCA("default")).toMatchObject({
      metadata: { labels: { mine: "yes" }, annotations: { [DESCRIPTION_ANNOTATION]: ROOT_CA_DESCRIPTION } },
      data: { "ca.crt": PLACEHOLDER_CA_CERTIFICATE },
    });
    expect(Object.keys(w.rootCA("default")!.data)).toEqual(["ca.crt"]);
    const revision = w.revision();
    await w.rootca("default");
    expect(w.revision()).toBe(revision);
  });

  it("keeps a description somebody rewrote (upstream checks only that it is not empty)", async () => {
    const w = await world();
    await w.rootca("default");
    await w.configMaps.patch("default", ROOT_CA_CONFIGMAP, (cm) => ({ ...cm, metadata: { ...cm.metadata, annotations: { [DESCRIPTION_ANNOTATION]: "ours" } } }), w.user);
    const revision = w.revision();
    await w.rootca("default");
    expect(w.revision()).toBe(revision);
  });

  it("creates nothing in a terminating or missing namespace", async () => {
    const w = await world();
    await w.terminate("leaving");
    const revision = w.revision();
    await w.rootca("leaving");
    await w.rootca("never-existed");
    expect(w.rootCA("leaving")).toBeNull();
    expect(w.revision()).toBe(revision);
  });
});
