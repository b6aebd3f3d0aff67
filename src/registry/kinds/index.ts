/** Every built-in kind a sandbox serves, in discovery order within each group. */
import type { KindStrategy } from "../types";
import { configMapStrategy } from "./configmap";
import { endpointsStrategy } from "./endpoints";
import { eventStrategy, eventsV1Strategy } from "./event";
import { leaseStrategy } from "./lease";
import { namespaceStrategy } from "./namespace";
import { nodeStrategy } from "./node";
import { secretStrategy } from "./secret";
import { serviceStrategy } from "./service";
import { serviceAccountStrategy } from "./serviceaccount";

export const builtinKinds: readonly KindStrategy[] = [
  namespaceStrategy,
  nodeStrategy,
  serviceStrategy,
  endpointsStrategy,
  configMapStrategy,
  secretStrategy,
  serviceAccountStrategy,
  eventStrategy,
  eventsV1Strategy,
  leaseStrategy,
];
