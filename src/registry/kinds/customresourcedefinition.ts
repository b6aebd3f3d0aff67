/**
 * apiextensions.k8s.io/v1 CustomResourceDefinition: upstream's defaulting (singular, listKind,
 * conversion None), status reset on create with the storage version recorded in
 * status.storedVersions, validation, and deletion held by the `customresourcecleanup` finalizer
 * until the CRD controller has deleted every custom resource (src/controlplane/controllers/crd.ts).
 */
import { CRD_GROUP, CRD_RESOURCE, isEstablished, type CrdVersion } from "../../apiextensions/custom-resource";
import { validateCrd, validateCrdUpdate, validateStoredVersions } from "../../apiextensions/validation";
import type { KindStrategy, KObject } from "../types";

/** The finalizer the API server puts on a CRD at its deletion: removed once its custom resources are gone. */
export const CRD_CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

function setDefaults(crd: KObject): void {
  const spec = (crd.spec ??= {});
  const names = (spec.names ??= {});
  if (!names.singular && typeof names.kind === "string") names.singular = names.kind.toLowerCase();
  if (!names.listKind && typeof names.kind === "string") names.listKind = `${names.kind}List`;
  spec.conversion ??= { strategy: "None" };
  if (!spec.conversion.strategy) spec.conversion.strategy = "None";
}

/** Adds the storage version to status.storedVersions (upstream: on every create and update). */
function recordStorageVersion(crd: KObject): void {
  const storage = ((crd.spec?.versions ?? []) as CrdVersion[]).find((v) => v.storage);
  if (!storage) return;
  const status = (crd.status ??= {});
  const stored: string[] = (status.storedVersions ??= []);
  if (!stored.includes(storage.name)) stored.push(storage.name);
}

export const customResourceDefinitionStrategy: KindStrategy = {
  group: CRD_GROUP,
  version: "v1",
  kind: "CustomResourceDefinition",
  resource: CRD_RESOURCE,
  singular: "customresourcedefinition",
  namespaced: false,
  shortNames: ["crd", "crds"],
  categories: ["api-extensions"],
  tracksGeneration: true,
  subresources: { status: true },
  prepareForCreate(crd) {
    setDefaults(crd);
    crd.status = { acceptedNames: { plural: "", kind: "" } };
    recordStorageVersion(crd);
  },
  prepareForUpdate(crd) {
    setDefaults(crd);
    recordStorageVersion(crd);
  },
  validate: (crd) => [...validateCrd(crd), ...validateStoredVersions(crd)],
  validateUpdate: (crd, old) => validateCrdUpdate(crd, old, isEstablished(old)),
  // The first DELETE only marks the CRD and adds the cleanup finalizer.
  holdsDeletion: (crd) => !crd.metadata.deletionTimestamp,
  prepareForDeletion(crd) {
    const finalizers = (crd.metadata.finalizers ??= []);
    if (!finalizers.includes(CRD_CLEANUP_FINALIZER)) finalizers.push(CRD_CLEANUP_FINALIZER);
  },
};
