/** Server-side apply and managedFields: the API the request handlers and the store use. */
export { serverSideApply, trackUpdate, withManagedFields, lastAppliedAnnotation, type ApplyOptions, type UpdateOptions, type TrackingOptions } from "./apply";
export { decodeApplyPatch } from "./decode";
export { builtinListTypes, listTypesFromSchema, type ListType, type ListTypeLookup } from "./list-types";
export { defaultFieldManager, managerOfRequest, validateWriteOptions, fieldManagerErrors, fieldManagerMaxLength } from "./field-manager";
export { FieldSet, pathString, type Path, type PathElement } from "./fieldpath";
export { decodeManagedFields, encodeManagedFields, type ManagedFieldsEntry } from "./managed-fields";
export { toFieldSet, compare, merge } from "./typed";

/** The content type of a server-side apply patch. */
export const applyPatchContentType = "application/apply-patch+yaml";
