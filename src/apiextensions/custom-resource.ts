/**
 * The kinds an established CustomResourceDefinition serves: one KindStrategy per served version,
 * all sharing one storage (conversion `None`: only apiVersion changes between versions). Every
 * write is defaulted, pruned and validated against the version's structural schema and CEL rules;
 * reads are defaulted too, as upstream defaults objects coming from storage.
 */
import { StatusError, type FieldError } from "../apiserver/status";
import { isDeepEqual } from "../registry/store";
import type { KindStrategy, KObject, ScalePaths } from "../registry/types";
import type { Registry } from "../registry/registry";
import { selectEverything } from "../registry/selection";
import { validateRules } from "./cel";
import { printerTable, type PrinterColumn } from "./printer";
import { applyDefaults, hasDefaults, prune, validateValue, type Schema } from "./schema";

export const CRD_GROUP = "apiextensions.k8s.io";
export const CRD_RESOURCE = "customresourcedefinitions";

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  schema?: { openAPIV3Schema?: Schema };
  subresources?: { status?: object; scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string } };
  additionalPrinterColumns?: PrinterColumn[];
}

/** A custom resource's strategy, remembering which CRD (generation, deletion) it was built from. */
export interface CustomResourceStrategy extends KindStrategy {
  crd: { uid: string; generation: number; terminating: boolean };
}

export function isCustomResourceStrategy(strategy: KindStrategy): strategy is CustomResourceStrategy {
  return "crd" in strategy;
}

/** `.spec.replicas` → `spec.replicas`. */
const dotted = (jsonPath: string) => jsonPath.replace(/^\./, "");

function scalePaths(scale: NonNullable<CrdVersion["subresources"]>["scale"]): ScalePaths | undefined {
  if (!scale) return undefined;
  return {
    specReplicas: dotted(scale.specReplicasPath),
    statusReplicas: dotted(scale.statusReplicasPath),
    labelSelector: scale.labelSelectorPath ? dotted(scale.labelSelectorPath) : "",
  };
}

/** Defaults then prunes a custom resource in place, as upstream does on decoding a request or a stored object. */
function normalize(obj: KObject, schema: Schema | undefined): void {
  applyDefaults(obj, schema);
  prune(obj, schema, true);
}

/** One KindStrategy per served version of the CRD, in spec order. */
export function customResourceStrategies(crd: KObject): CustomResourceStrategy[] {
  const spec = crd.spec;
  const names = crd.status?.acceptedNames?.kind ? { ...spec.names, ...crd.status.acceptedNames } : spec.names;
  const versions = (spec.versions ?? []) as CrdVersion[];
  const storageVersion = versions.find((v) => v.storage)?.name ?? versions[0]?.name;
  return versions
    .filter((v) => v.served)
    .map((v): CustomResourceStrategy => {
      const schema = v.schema?.openAPIV3Schema;
      const hasStatus = !!v.subresources?.status;
      const defaulting = hasDefaults(schema);
      const terminating = !!crd.metadata.deletionTimestamp;
      const validate = (obj: KObject): FieldError[] => [...validateValue(obj, schema, "", true), ...validateRules(celSelf(obj), undefined, schema, "")];
      return {
        crd: { uid: crd.metadata.uid ?? "", generation: crd.metadata.generation ?? 1, terminating },
        group: spec.group,
        version: v.name,
        kind: names.kind,
        resource: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        namespaced: spec.scope === "Namespaced",
        ...(names.shortNames?.length ? { shortNames: names.shortNames } : {}),
        ...(names.categories?.length ? { categories: names.categories } : {}),
        tracksGeneration: true,
        subresources: { status: hasStatus, ...(v.subresources?.scale ? { scale: scalePaths(v.subresources.scale) } : {}) },
        storage: {
          resource: `${spec.group}/${names.plural}`,
          toStorage: (obj) => ({ ...obj, apiVersion: `${spec.group}/${storageVersion}` }),
          fromStorage: (stored) => {
            if (!defaulting) return stored;
            const copy = structuredClone(stored);
            normalize(copy, schema);
            return copy;
          },
        },
        ...(schema ? { openApiSchema: schema } : {}),
        prepareForCreate: (obj) => {
          if (terminating) throw new StatusError(405, "MethodNotAllowed", "create not allowed while custom resource definition is terminating");
          normalize(obj, schema);
        },
        prepareForUpdate: (obj, old) => {
          normalize(obj, schema);
          // Without a status subresource, status is part of what the generation counts.
          if (!hasStatus && !isDeepEqual(obj.status, old.status)) obj.metadata.generation = (old.metadata.generation ?? 1) + 1;
        },
        validate,
        validateUpdate: (obj, old) => validateRules(celSelf(obj), celSelf(old), schema, "").filter(isTransitionOnly(validate(obj))),
        table: printerTable(v.additionalPrinterColumns),
      };
    });
}

/** The root `self` of rules: the object, with only the metadata upstream exposes to CEL (name, generateName). */
function celSelf(obj: KObject): Record<string, unknown> {
  const { name, generateName } = obj.metadata;
  return { ...obj, metadata: { ...(name !== undefined ? { name } : {}), ...(generateName !== undefined ? { generateName } : {}) } };
}

/** Keeps the update's rule errors that `validate` (run on every write) has not already reported. */
function isTransitionOnly(reported: FieldError[]): (e: FieldError) => boolean {
  const seen = new Set(reported.map((e) => `${e.field}\0${e.detail}`));
  return (e) => !seen.has(`${e.field}\0${e.detail}`);
}

/** True when the CRD's Established condition is True. */
export function isEstablished(crd: KObject): boolean {
  return (crd.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === "Established" && c.status === "True");
}

/**
 * Serves the kinds of an established CRD (replacing those of an older generation, or of the CRD
 * before its deletion began: a terminating CRD's kinds refuse creates) and stops
 * serving versions it no longer serves. Does nothing when the served kinds are already current, or
 * when a built-in kind serves the same group and resource.
 */
export function defineCustomResource(registry: Registry, crd: KObject): void {
  const strategies = customResourceStrategies(crd);
  const { group } = crd.spec;
  const plural = strategies[0]?.resource ?? crd.spec.names.plural;
  const current = registry.strategies.filter((s) => s.group === group && s.resource === plural);
  // A built-in resource keeps precedence over a CRD of the same group and plural.
  if (current.some((s) => !isCustomResourceStrategy(s))) return;
  const upToDate =
    current.length === strategies.length &&
    current.every(
      (s, i) => isCustomResourceStrategy(s) && s.version === strategies[i].version && isDeepEqual(s.crd, strategies[i].crd),
    );
  if (upToDate) return;
  registry.remove(group, plural);
  for (const strategy of strategies) registry.define(strategy);
}

/** (Re)defines the kinds of every stored established CRD: a sandbox loaded from its backend serves them again. */
export function defineEstablishedCrds(registry: Registry): void {
  const crds = registry.resource(CRD_GROUP, CRD_RESOURCE).list("", { selection: selectEverything }).items;
  for (const crd of crds) if (isEstablished(crd)) defineCustomResource(registry, crd);
}
