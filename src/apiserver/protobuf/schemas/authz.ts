// Field tables for k8s.io.api.authorization.v1 (k8s.io/api authorization/v1/generated.proto); format in ../schema.ts.
// Derived from upstream v0.36.3 generated.proto (numbers, wire types) and types.go struct tags (json names,
// omitempty, pointers, order).
export const authz: Record<string, string> = {
  ExtraValue: "=L",
  FieldSelectorAttributes: "1rawSelector? 2requirements?:[meta.FieldSelectorRequirement",
  LabelSelectorAttributes: "1rawSelector? 2requirements?:[meta.LabelSelectorRequirement",
  LocalSubjectAccessReview: "1metadata?:meta.ObjectMeta 2spec:SubjectAccessReviewSpec 3status?:SubjectAccessReviewStatus",
  NonResourceAttributes: "1path? 2verb?",
  NonResourceRule: "1verbs:[s 2nonResourceURLs?:[s",
  ResourceAttributes: "1namespace? 2verb? 3group? 4version? 5resource? 6subresource? 7name? 8fieldSelector?*:FieldSelectorAttributes 9labelSelector?*:LabelSelectorAttributes",
  ResourceRule: "1verbs:[s 2apiGroups?:[s 3resources?:[s 4resourceNames?:[s",
  SelfSubjectAccessReview: "1metadata?:meta.ObjectMeta 2spec:SelfSubjectAccessReviewSpec 3status?:SubjectAccessReviewStatus",
  SelfSubjectAccessReviewSpec: "1resourceAttributes?*:ResourceAttributes 2nonResourceAttributes?*:NonResourceAttributes",
  SelfSubjectRulesReview: "1metadata?:meta.ObjectMeta 2spec:SelfSubjectRulesReviewSpec 3status?:SubjectRulesReviewStatus",
  SelfSubjectRulesReviewSpec: "1namespace?",
  SubjectAccessReview: "1metadata?:meta.ObjectMeta 2spec:SubjectAccessReviewSpec 3status?:SubjectAccessReviewStatus",
  SubjectAccessReviewSpec: "1resourceAttributes?*:ResourceAttributes 2nonResourceAttributes?*:NonResourceAttributes 3user? 4groups?:[s 5extra?:{ExtraValue 6uid?",
  SubjectAccessReviewStatus: "1allowed:b 4denied?:b 2reason? 3evaluationError?",
  SubjectRulesReviewStatus: "1resourceRules:[ResourceRule 2nonResourceRules:[NonResourceRule 3incomplete:b 4evaluationError?",
};
