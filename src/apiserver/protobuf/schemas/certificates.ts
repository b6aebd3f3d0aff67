// Field tables for k8s.io.api.certificates.v1 (k8s.io/api certificates/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const certificates: Record<string, string> = {
  CertificateSigningRequest: "1metadata?:meta.ObjectMeta 2spec:CertificateSigningRequestSpec 3status?:CertificateSigningRequestStatus",
  CertificateSigningRequestCondition: "1type 6status 2reason? 3message? 4lastUpdateTime?:T 5lastTransitionTime?:T",
  CertificateSigningRequestList: "1metadata?:meta.ListMeta 2items:[CertificateSigningRequest",
  CertificateSigningRequestSpec: "1request:y 7signerName 8expirationSeconds?*:i 5usages?:[s 2username? 3uid? 4groups?:[s 6extra?:{ExtraValue",
  CertificateSigningRequestStatus: "1conditions?:[CertificateSigningRequestCondition 2certificate?:y",
  ExtraValue: "=L",
};
