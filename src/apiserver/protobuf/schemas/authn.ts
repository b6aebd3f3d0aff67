// Field tables for k8s.io.api.authentication.v1 (k8s.io/api authentication/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const authn: Record<string, string> = {
  BoundObjectReference: "1kind? 2apiVersion? 3name? 4uid?",
  ExtraValue: "=L",
  SelfSubjectReview: "1metadata?:meta.ObjectMeta 2status?:SelfSubjectReviewStatus",
  SelfSubjectReviewStatus: "1userInfo?:UserInfo",
  TokenRequest: "1metadata?:meta.ObjectMeta 2spec:TokenRequestSpec 3status?:TokenRequestStatus",
  TokenRequestSpec: "1audiences:[s 4expirationSeconds*:I 3boundObjectRef*:BoundObjectReference",
  TokenRequestStatus: "1token 2expirationTimestamp:T",
  TokenReview: "1metadata?:meta.ObjectMeta 2spec:TokenReviewSpec 3status?:TokenReviewStatus",
  TokenReviewSpec: "1token? 2audiences?:[s",
  TokenReviewStatus: "1authenticated?:b 2user?:UserInfo 4audiences?:[s 3error?",
  UserInfo: "1username? 2uid? 3groups?:[s 4extra?:{ExtraValue",
};
