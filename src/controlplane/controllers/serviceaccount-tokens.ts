/**
 * The legacy ServiceAccount token controller (k8s.io/kubernetes pkg/controller/serviceaccount,
 * tokens_controller): a Secret of type `kubernetes.io/service-account-token` annotated with
 * `kubernetes.io/service-account.name` gets a long-lived token signed by the sandbox
 * (`data.token`), the cluster CA (`data["ca.crt"]`), its namespace (`data.namespace`) and the
 * account's uid annotation. A Secret whose account does not exist (or is another account of the
 * same name) is deleted.
 *
 * Watch events → keys (reconciler `serviceaccounttokens`, keyed `namespace/name` of the Secret):
 * such a Secret added or updated; every such Secret of a namespace when a ServiceAccount there is
 * deleted.
 */
import type { SigningKey } from "../../auth/tokens/signing-key";
import { issueLegacyServiceAccountToken } from "../../auth/tokens/tokens";
import type { Registry } from "../../registry/registry";
import type { KObject, UserInfo } from "../../registry/types";
import type { Reconciler } from "../runtime";
import { PLACEHOLDER_CA_CERTIFICATE } from "./root-ca";
import { getOrNull, isConflictOrNotFound, splitKey } from "./workloads";

export const SERVICE_ACCOUNT_TOKEN_TYPE = "kubernetes.io/service-account-token";
export const SERVICE_ACCOUNT_NAME_ANNOTATION = "kubernetes.io/service-account.name";
export const SERVICE_ACCOUNT_UID_ANNOTATION = "kubernetes.io/service-account.uid";

export interface TokenControllerDeps {
  registry: Registry;
  user: UserInfo;
  signingKey(): Promise<SigningKey>;
}

export const isServiceAccountTokenSecret = (secret: KObject) => secret.type === SERVICE_ACCOUNT_TOKEN_TYPE;

/** Secret data: every value here is ASCII (a JWT, a PEM certificate, a namespace name). */
const base64 = (text: string) => btoa(text);

export function serviceAccountTokenReconciler(deps: TokenControllerDeps): Reconciler {
  const secrets = deps.registry.resource("", "secrets");
  const serviceAccounts = deps.registry.resource("", "serviceaccounts");
  return async (key) => {
    const [namespace, name] = splitKey(key);
    const secret = getOrNull(secrets, namespace, name);
    if (!secret || !isServiceAccountTokenSecret(secret) || secret.metadata.deletionTimestamp) return;
    const annotations = secret.metadata.annotations ?? {};
    const account = getOrNull(serviceAccounts, namespace, annotations[SERVICE_ACCOUNT_NAME_ANNOTATION] ?? "");
    const uid = annotations[SERVICE_ACCOUNT_UID_ANNOTATION];
    if (!account || (uid && uid !== account.metadata.uid)) {
      await secrets.delete(namespace, name, { user: deps.user, preconditions: { uid: secret.metadata.uid } }).catch((e) => {
        if (!isConflictOrNotFound(e)) throw e;
      });
      return;
    }
    if (uid && secret.data?.token && secret.data["ca.crt"] && secret.data.namespace) return;
    const token = await issueLegacyServiceAccountToken(await deps.signingKey(), {
      namespace,
      secretName: name,
      serviceAccount: { name: account.metadata.name!, uid: account.metadata.uid! },
    });
    await secrets
      .patch(
        namespace,
        name,
        (current) => ({
          ...current,
          metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [SERVICE_ACCOUNT_UID_ANNOTATION]: account.metadata.uid! } },
          data: { ...current.data, token: current.data?.token || base64(token), "ca.crt": base64(PLACEHOLDER_CA_CERTIFICATE), namespace: base64(namespace) },
        }),
        { user: deps.user },
      )
      .catch((e) => {
        if (!isConflictOrNotFound(e)) throw e;
      });
  };
}
