/**
 * The add-ons of a fresh kubeadm cluster, as `kubectl get all -A` shows them right after
 * `kubeadm init` plus the flannel CNI: the control-plane mirror pods (etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler), CoreDNS behind the `kube-dns` Service, the kube-proxy
 * and flannel DaemonSets, the ConfigMaps and leader-election Leases kubeadm and the components
 * leave, and the ComponentStatuses. Pure and deterministic: ids derive from the sandbox id, images
 * from the Kubernetes minor version as kubeadm pins them.
 *
 * The control-plane components are static pods: {@link staticPodManifests} gives kubeadm's
 * manifests, and the kubelet posts their mirror pods.
 */
import { formatMicroTime } from "../registry/clock";
import type { KObject } from "../registry/types";
import { gitVersion } from "../apiserver/version";
import type { StaticPodManifest } from "../controlplane/kubelet/static-pods";
import { PLACEHOLDER_CA_CERTIFICATE } from "../controlplane/controllers/root-ca";

/** An object to write and the resource that stores it. */
export interface ResourceObject {
  group: string;
  resource: string;
  object: KObject;
}

/** What the add-ons need to know about the cluster. */
export interface AddonCluster {
  sandboxId: string;
  /** Minor version, e.g. `1.32`. */
  kubernetesVersion: string;
  /** The first control-plane node: hosts the static pods and advertises the API server. */
  controlPlane: { name: string; ip: string };
  nowMs: number;
}

export const POD_SUBNET = "10.244.0.0/16";
export const SERVICE_SUBNET = "10.96.0.0/12";
export const KUBE_DNS_SERVICE_IP = "10.96.0.10";
export const FLANNEL_NAMESPACE = "kube-flannel";
const API_SERVER_PORT = 6443;
const SYSTEM_NODE_CRITICAL = { priorityClassName: "system-node-critical", priority: 2000001000 };

/** Deterministic hex from a seed (FNV-1a, expanded): machine ids, hashes and lease holders that only need to look real. */
export function stableHex(seed: string, length = 32): string {
  let out = "";
  let h = 0x811c9dc5;
  while (out.length < length) {
    for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ out.length, 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, length);
}

export function uuidFrom(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

// ---- versions kubeadm pins ---------------------------------------------------------------------

/** etcd and CoreDNS image tags kubeadm deploys, per Kubernetes minor (at the patch release served). */
const pinnedImages: Record<string, { etcd: string; coredns: string }> = {
  "1.27": { etcd: "3.5.12-0", coredns: "v1.10.1" },
  "1.28": { etcd: "3.5.15-0", coredns: "v1.10.1" },
  "1.29": { etcd: "3.5.16-0", coredns: "v1.11.1" },
  "1.30": { etcd: "3.5.21-0", coredns: "v1.11.3" },
  "1.31": { etcd: "3.5.21-0", coredns: "v1.11.3" },
  "1.32": { etcd: "3.5.21-0", coredns: "v1.11.3" },
  "1.33": { etcd: "3.5.21-0", coredns: "v1.12.0" },
};

export function addonImages(kubernetesVersion: string) {
  const version = gitVersion(kubernetesVersion);
  const pinned = pinnedImages[kubernetesVersion] ?? pinnedImages["1.32"];
  return {
    version,
    etcd: `registry.k8s.io/etcd:${pinned.etcd}`,
    coredns: `registry.k8s.io/coredns/coredns:${pinned.coredns}`,
    component: (name: string) => `registry.k8s.io/${name}:${version}`,
  };
}

/** flannel's own release, independent of the Kubernetes version. */
const FLANNEL_IMAGE = "ghcr.io/flannel-io/flannel:v0.26.7";
const FLANNEL_CNI_PLUGIN_IMAGE = "ghcr.io/flannel-io/flannel-cni-plugin:v1.6.2-flannel1";

const minorOf = (kubernetesVersion: string) => Number(kubernetesVersion.split(".")[1] ?? 0);

// ---- building blocks ----------------------------------------------------------------------------

const core = (resource: string, object: KObject): ResourceObject => ({ group: "", resource, object });
const apps = (resource: string, object: KObject): ResourceObject => ({ group: "apps", resource, object });

type HostPathType = "DirectoryOrCreate" | "FileOrCreate" | "";
const hostPath = (name: string, path: string, type: HostPathType = "DirectoryOrCreate") => ({ name, hostPath: { path, ...(type ? { type } : {}) } });
const mount = (name: string, mountPath: string, readOnly = false) => ({ name, mountPath, ...(readOnly ? { readOnly } : {}) });
/** kubeadm lists a static pod's volumes and mounts sorted by name. */
const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);

type ProbeKind = "liveness" | "readiness" | "startup";

/** kubeadm's probe settings: readiness every second; liveness and startup after 10 s, every 10 s. */
function httpProbe(host: string, path: string, port: number, scheme: "HTTP" | "HTTPS", kind: ProbeKind) {
  const httpGet = { host, path, port, scheme };
  if (kind === "readiness") return { httpGet, failureThreshold: 3, periodSeconds: 1, timeoutSeconds: 15 };
  return { httpGet, failureThreshold: kind === "startup" ? 24 : 8, initialDelaySeconds: 10, periodSeconds: 10, timeoutSeconds: 15 };
}

/** The host CA bundles kubeadm mounts into the API server and controller manager. */
const caVolumes = [
  hostPath("ca-certs", "/etc/ssl/certs"),
  hostPath("etc-ca-certificates", "/etc/ca-certificates"),
  hostPath("k8s-certs", "/etc/kubernetes/pki"),
  hostPath("usr-local-share-ca-certificates", "/usr/local/share/ca-certificates"),
  hostPath("usr-share-ca-certificates", "/usr/share/ca-certificates"),
];
const caMounts = caVolumes.map((v) => mount(v.name, v.hostPath.path, true));

interface StaticPod {
  component: string;
  image: string;
  command: string[];
  cpu: string;
  memory?: string;
  probes: { liveness: object; readiness?: object; startup: object };
  volumes: { name: string; hostPath: { path: string; type?: string } }[];
  mounts: { name: string; mountPath: string; readOnly?: boolean }[];
  annotations?: Record<string, string>;
}

/** kubeadm's static pod manifests for the control-plane node (`/etc/kubernetes/manifests`). */
function staticPods(cluster: AddonCluster): StaticPod[] {
  const { controlPlane: cp, kubernetesVersion } = cluster;
  const images = addonImages(kubernetesVersion);
  const newProbes = minorOf(kubernetesVersion) >= 32;
  const etcdClient = `https://${cp.ip}:2379`;
  const etcdPeer = `https://${cp.ip}:2380`;
  const apiServer = (path: string, kind: ProbeKind) => httpProbe(cp.ip, path, API_SERVER_PORT, "HTTPS", kind);
  const local = (port: number, scheme: "HTTP" | "HTTPS") => (path: string, kind: ProbeKind) => httpProbe("127.0.0.1", path, port, scheme, kind);
  const etcd = local(2381, "HTTP");
  const controllerManager = local(10257, "HTTPS");
  const scheduler = local(10259, "HTTPS");
  const kubeconfig = (file: string) => hostPath("kubeconfig", `/etc/kubernetes/${file}`, "FileOrCreate");
  const flexvolume = hostPath("flexvolume-dir", "/usr/libexec/kubernetes/kubelet-plugins/volume/exec");

  return [
    {
      component: "etcd",
      image: images.etcd,
      command: [
        "etcd",
        `--advertise-client-urls=${etcdClient}`,
        "--cert-file=/etc/kubernetes/pki/etcd/server.crt",
        "--client-cert-auth=true",
        "--data-dir=/var/lib/etcd",
        "--experimental-initial-corrupt-check=true",
        "--experimental-watch-progress-notify-interval=5s",
        `--initial-advertise-peer-urls=${etcdPeer}`,
        `--initial-cluster=${cp.name}=${etcdPeer}`,
        "--key-file=/etc/kubernetes/pki/etcd/server.key",
        `--listen-client-urls=https://127.0.0.1:2379,${etcdClient}`,
        "--listen-metrics-urls=http://127.0.0.1:2381",
        `--listen-peer-urls=${etcdPeer}`,
        `--name=${cp.name}`,
        "--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt",
        "--peer-client-cert-auth=true",
        "--peer-key-file=/etc/kubernetes/pki/etcd/peer.key",
        "--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
        "--snapshot-count=10000",
        "--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt",
      ],
      cpu: "100m",
      memory: "100Mi",
      probes: newProbes
        ? { liveness: etcd("/livez", "liveness"), readiness: etcd("/readyz", "readiness"), startup: etcd("/readyz", "startup") }
        : { liveness: etcd("/health?exclude=NOSPACE&serializable=true", "liveness"), startup: etcd("/health?serializable=false", "startup") },
      volumes: [hostPath("etcd-certs", "/etc/kubernetes/pki/etcd"), hostPath("etcd-data", "/var/lib/etcd")],
      mounts: [mount("etcd-data", "/var/lib/etcd"), mount("etcd-certs", "/etc/kubernetes/pki/etcd")],
      annotations: { "kubeadm.kubernetes.io/etcd.advertise-client-urls": etcdClient },
    },
    {
      component: "kube-apiserver",
      image: images.component("kube-apiserver"),
      command: [
        "kube-apiserver",
        `--advertise-address=${cp.ip}`,
        "--allow-privileged=true",
        "--authorization-mode=Node,RBAC",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        "--enable-admission-plugins=NodeRestriction",
        "--enable-bootstrap-token-auth=true",
        "--etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt",
        "--etcd-certfile=/etc/kubernetes/pki/apiserver-etcd-client.crt",
        "--etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key",
        "--etcd-servers=https://127.0.0.1:2379",
        "--kubelet-client-certificate=/etc/kubernetes/pki/apiserver-kubelet-client.crt",
        "--kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key",
        "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
        "--proxy-client-cert-file=/etc/kubernetes/pki/front-proxy-client.crt",
        "--proxy-client-key-file=/etc/kubernetes/pki/front-proxy-client.key",
        "--requestheader-allowed-names=front-proxy-client",
        "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-username-headers=X-Remote-User",
        `--secure-port=${API_SERVER_PORT}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-account-key-file=/etc/kubernetes/pki/sa.pub",
        "--service-account-signing-key-file=/etc/kubernetes/pki/sa.key",
        `--service-cluster-ip-range=${SERVICE_SUBNET}`,
        "--tls-cert-file=/etc/kubernetes/pki/apiserver.crt",
        "--tls-private-key-file=/etc/kubernetes/pki/apiserver.key",
      ],
      cpu: "250m",
      probes: { liveness: apiServer("/livez", "liveness"), readiness: apiServer("/readyz", "readiness"), startup: apiServer("/livez", "startup") },
      volumes: caVolumes,
      mounts: caMounts,
      annotations: { "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint": `${cp.ip}:${API_SERVER_PORT}` },
    },
    {
      component: "kube-controller-manager",
      image: images.component("kube-controller-manager"),
      command: [
        "kube-controller-manager",
        "--allocate-node-cidrs=true",
        "--authentication-kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--authorization-kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--bind-address=127.0.0.1",
        "--client-ca-file=/etc/kubernetes/pki/ca.crt",
        `--cluster-cidr=${POD_SUBNET}`,
        "--cluster-name=kubernetes",
        "--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt",
        "--cluster-signing-key-file=/etc/kubernetes/pki/ca.key",
        "--controllers=*,bootstrapsigner,tokencleaner",
        "--kubeconfig=/etc/kubernetes/controller-manager.conf",
        "--leader-elect=true",
        "--requestheader-client-ca-file=/etc/kubernetes/pki/front-proxy-ca.crt",
        "--root-ca-file=/etc/kubernetes/pki/ca.crt",
        "--service-account-private-key-file=/etc/kubernetes/pki/sa.key",
        `--service-cluster-ip-range=${SERVICE_SUBNET}`,
        "--use-service-account-credentials=true",
      ],
      cpu: "200m",
      probes: { liveness: controllerManager("/healthz", "liveness"), startup: controllerManager("/healthz", "startup") },
      volumes: [...caVolumes, flexvolume, kubeconfig("controller-manager.conf")].sort(byName),
      mounts: [...caMounts, mount(flexvolume.name, flexvolume.hostPath.path), mount("kubeconfig", "/etc/kubernetes/controller-manager.conf", true)].sort(byName),
    },
    {
      component: "kube-scheduler",
      image: images.component("kube-scheduler"),
      command: [
        "kube-scheduler",
        "--authentication-kubeconfig=/etc/kubernetes/scheduler.conf",
        "--authorization-kubeconfig=/etc/kubernetes/scheduler.conf",
        "--bind-address=127.0.0.1",
        "--kubeconfig=/etc/kubernetes/scheduler.conf",
        "--leader-elect=true",
      ],
      cpu: "100m",
      probes: newProbes
        ? { liveness: scheduler("/livez", "liveness"), readiness: scheduler("/readyz", "readiness"), startup: scheduler("/livez", "startup") }
        : { liveness: scheduler("/healthz", "liveness"), startup: scheduler("/healthz", "startup") },
      volumes: [kubeconfig("scheduler.conf")],
      mounts: [mount("kubeconfig", "/etc/kubernetes/scheduler.conf", true)],
    },
  ];
}

/**
 * kubeadm's manifests in the control-plane node's `/etc/kubernetes/manifests` (`etcd.yaml`, …):
 * its kubelet runs them and posts the mirror pods `<component>-<node>` (see
 * controlplane/kubelet/static-pods.ts).
 */
export function staticPodManifests(cluster: AddonCluster): StaticPodManifest[] {
  const { controlPlane: cp } = cluster;
  return staticPods(cluster).map((p) => {
    const resources = { requests: { cpu: p.cpu, ...(p.memory ? { memory: p.memory } : {}) } };
    const pod: KObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: p.component,
        namespace: "kube-system",
        labels: { component: p.component, tier: "control-plane" },
        ...(p.annotations ? { annotations: p.annotations } : {}),
      },
      spec: {
        containers: [
          {
            name: p.component,
            image: p.image,
            imagePullPolicy: "IfNotPresent",
            command: p.command,
            resources,
            livenessProbe: p.probes.liveness,
            ...(p.probes.readiness ? { readinessProbe: p.probes.readiness } : {}),
            startupProbe: p.probes.startup,
            volumeMounts: p.mounts,
          },
        ],
        hostNetwork: true,
        ...SYSTEM_NODE_CRITICAL,
        securityContext: { seccompProfile: { type: "RuntimeDefault" } },
        volumes: p.volumes,
      },
    };
    return { node: cp.name, file: `${p.component}.yaml`, pod };
  });
}

// ---- CoreDNS ------------------------------------------------------------------------------------

function corefile(kubernetesVersion: string): string {
  const cache = minorOf(kubernetesVersion) >= 30 ? "cache 30 {\n       disable success cluster.local\n       disable denial cluster.local\n    }" : "cache 30";
  return `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    ${cache}
    loop
    reload
    loadbalance
}
`;
}

function coreDNS(cluster: AddonCluster): ResourceObject[] {
  const labels = { "k8s-app": "kube-dns" };
  const namespace = "kube-system";
  return [
    core("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "coredns", namespace } }),
    core("configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "coredns", namespace }, data: { Corefile: corefile(cluster.kubernetesVersion) } }),
    apps("deployments", {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "coredns", namespace, labels },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: "system-cluster-critical",
            serviceAccountName: "coredns",
            affinity: {
              podAntiAffinity: {
                preferredDuringSchedulingIgnoredDuringExecution: [
                  {
                    weight: 100,
                    podAffinityTerm: {
                      labelSelector: { matchExpressions: [{ key: "k8s-app", operator: "In", values: ["kube-dns"] }] },
                      topologyKey: "kubernetes.io/hostname",
                    },
                  },
                ],
              },
            },
            tolerations: [
              { key: "CriticalAddonsOnly", operator: "Exists" },
              { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
            ],
            nodeSelector: { "kubernetes.io/os": "linux" },
            containers: [
              {
                name: "coredns",
                image: addonImages(cluster.kubernetesVersion).coredns,
                imagePullPolicy: "IfNotPresent",
                args: ["-conf", "/etc/coredns/Corefile"],
                resources: { limits: { memory: "170Mi" }, requests: { cpu: "100m", memory: "70Mi" } },
                volumeMounts: [mount("config-volume", "/etc/coredns", true)],
                ports: [
                  { containerPort: 53, name: "dns", protocol: "UDP" },
                  { containerPort: 53, name: "dns-tcp", protocol: "TCP" },
                  { containerPort: 9153, name: "metrics", protocol: "TCP" },
                ],
                securityContext: {
                  allowPrivilegeEscalation: false,
                  capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                  readOnlyRootFilesystem: true,
                },
                livenessProbe: { httpGet: { path: "/health", port: 8080, scheme: "HTTP" }, initialDelaySeconds: 60, timeoutSeconds: 5, successThreshold: 1, failureThreshold: 5 },
                readinessProbe: { httpGet: { path: "/ready", port: 8181, scheme: "HTTP" } },
              },
            ],
            dnsPolicy: "Default",
            volumes: [{ name: "config-volume", configMap: { name: "coredns", items: [{ key: "Corefile", path: "Corefile" }] } }],
          },
        },
      },
    }),
    core("services", {
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "kube-dns",
        namespace,
        labels: { ...labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" },
        annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" },
      },
      spec: {
        selector: labels,
        clusterIP: KUBE_DNS_SERVICE_IP,
        ports: [
          { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
          { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
          { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
        ],
      },
    }),
  ];
}

// ---- kube-proxy ---------------------------------------------------------------------------------

/** kubeadm's KubeProxyConfiguration: `mode: ""` lets kube-proxy pick iptables on Linux. */
const kubeProxyConfig = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: ${POD_SUBNET}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
kind: KubeProxyConfiguration
metricsBindAddress: ""
mode: ""
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
`;

function kubeProxyKubeconfig(apiServer: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: ${apiServer}
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token
`;
}

function kubeProxy(cluster: AddonCluster): ResourceObject[] {
  const labels = { "k8s-app": "kube-proxy" };
  const namespace = "kube-system";
  return [
    core("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "kube-proxy", namespace } }),
    core("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kube-proxy", namespace, labels: { app: "kube-proxy" } },
      data: { "config.conf": kubeProxyConfig, "kubeconfig.conf": kubeProxyKubeconfig(apiServerURL(cluster)) },
    }),
    apps("daemonsets", {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "kube-proxy", namespace, labels },
      spec: {
        selector: { matchLabels: labels },
        updateStrategy: { type: "RollingUpdate" },
        template: {
          metadata: { labels },
          spec: {
            priorityClassName: "system-node-critical",
            containers: [
              {
                name: "kube-proxy",
                image: addonImages(cluster.kubernetesVersion).component("kube-proxy"),
                imagePullPolicy: "IfNotPresent",
                command: ["/usr/local/bin/kube-proxy", "--config=/var/lib/kube-proxy/config.conf", "--hostname-override=$(NODE_NAME)"],
                securityContext: { privileged: true },
                volumeMounts: [mount("kube-proxy", "/var/lib/kube-proxy"), mount("xtables-lock", "/run/xtables.lock"), mount("lib-modules", "/lib/modules", true)],
                env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
              },
            ],
            hostNetwork: true,
            serviceAccountName: "kube-proxy",
            volumes: [{ name: "kube-proxy", configMap: { name: "kube-proxy" } }, hostPath("xtables-lock", "/run/xtables.lock", "FileOrCreate"), hostPath("lib-modules", "/lib/modules", "")],
            tolerations: [{ operator: "Exists" }],
            nodeSelector: { "kubernetes.io/os": "linux" },
          },
        },
      },
    }),
  ];
}

// ---- flannel ------------------------------------------------------------------------------------

const flannelCniConf = `{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "flannel",
      "delegate": {
        "hairpinMode": true,
        "isDefaultGateway": true
      }
    },
    {
      "type": "portmap",
      "capabilities": {
        "portMappings": true
      }
    }
  ]
}
`;

const flannelNetConf = `{
  "Network": "${POD_SUBNET}",
  "EnableNFTables": false,
  "Backend": {
    "Type": "vxlan"
  }
}
`;

export function addonNamespaces(): KObject[] {
  return [
    {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: FLANNEL_NAMESPACE, labels: { "k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged" } },
    },
  ];
}

/** flannel as its kube-flannel.yml installs it (RBAC left out: the sandbox has no RBAC kinds to hold it). */
function flannel(): ResourceObject[] {
  const namespace = FLANNEL_NAMESPACE;
  const labels = { app: "flannel", "k8s-app": "flannel", tier: "node" };
  return [
    core("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } }),
    core("serviceaccounts", { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "flannel", namespace, labels: { "k8s-app": "flannel" } } }),
    core("configmaps", {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "kube-flannel-cfg", namespace, labels },
      data: { "cni-conf.json": flannelCniConf, "net-conf.json": flannelNetConf },
    }),
    apps("daemonsets", {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { name: "kube-flannel-ds", namespace, labels },
      spec: {
        selector: { matchLabels: { app: "flannel" } },
        template: {
          metadata: { labels: { app: "flannel", tier: "node" } },
          spec: {
            affinity: {
              nodeAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: {
                  nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] }],
                },
              },
            },
            hostNetwork: true,
            priorityClassName: "system-node-critical",
            tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
            serviceAccountName: "flannel",
            initContainers: [
              {
                name: "install-cni-plugin",
                image: FLANNEL_CNI_PLUGIN_IMAGE,
                command: ["cp"],
                args: ["-f", "/flannel", "/opt/cni/bin/flannel"],
                volumeMounts: [mount("cni-plugin", "/opt/cni/bin")],
              },
              {
                name: "install-cni",
                image: FLANNEL_IMAGE,
                command: ["cp"],
                args: ["-f", "/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                volumeMounts: [mount("cni", "/etc/cni/net.d"), mount("flannel-cfg", "/etc/kube-flannel/")],
              },
            ],
            containers: [
              {
                name: "kube-flannel",
                image: FLANNEL_IMAGE,
                command: ["/opt/bin/flanneld"],
                args: ["--ip-masq", "--kube-subnet-mgr"],
                resources: { requests: { cpu: "100m", memory: "50Mi" } },
                securityContext: { privileged: false, capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
                env: [
                  { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  { name: "EVENT_QUEUE_DEPTH", value: "5000" },
                ],
                volumeMounts: [mount("run", "/run/flannel"), mount("flannel-cfg", "/etc/kube-flannel/"), mount("xtables-lock", "/run/xtables.lock")],
              },
            ],
            volumes: [
              hostPath("run", "/run/flannel", ""),
              hostPath("cni-plugin", "/opt/cni/bin", ""),
              hostPath("cni", "/etc/cni/net.d", ""),
              { name: "flannel-cfg", configMap: { name: "kube-flannel-cfg" } },
              hostPath("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
            ],
          },
        },
      },
    }),
  ];
}

// ---- what kubeadm and the components leave behind -----------------------------------------------

function apiServerURL(cluster: AddonCluster): string {
  return `https://${cluster.controlPlane.ip}:${API_SERVER_PORT}`;
}

function clusterConfiguration(kubernetesVersion: string): string {
  const v1beta4 = minorOf(kubernetesVersion) >= 31;
  return `apiServer:${v1beta4 ? " {}" : "\n  timeoutForControlPlane: 4m0s"}
apiVersion: kubeadm.k8s.io/${v1beta4 ? "v1beta4" : "v1beta3"}
${v1beta4 ? "caCertificateValidityPeriod: 87600h0m0s\ncertificateValidityPeriod: 8760h0m0s\n" : ""}certificatesDir: /etc/kubernetes/pki
clusterName: kubernetes
controllerManager: {}
dns: {}
${v1beta4 ? "encryptionAlgorithm: RSA-2048\n" : ""}etcd:
  local:
    dataDir: /var/lib/etcd
imageRepository: registry.k8s.io
kind: ClusterConfiguration
kubernetesVersion: ${gitVersion(kubernetesVersion)}
networking:
  dnsDomain: cluster.local
  podSubnet: ${POD_SUBNET}
  serviceSubnet: ${SERVICE_SUBNET}
proxy: {}
scheduler: {}
`;
}

const kubeletConfiguration = `apiVersion: kubelet.config.k8s.io/v1beta1
authentication:
  anonymous:
    enabled: false
  webhook:
    cacheTTL: 0s
    enabled: true
  x509:
    clientCAFile: /etc/kubernetes/pki/ca.crt
authorization:
  mode: Webhook
cgroupDriver: systemd
clusterDNS:
- ${KUBE_DNS_SERVICE_IP}
clusterDomain: cluster.local
containerRuntimeEndpoint: ""
cpuManagerReconcilePeriod: 0s
evictionPressureTransitionPeriod: 0s
fileCheckFrequency: 0s
healthzBindAddress: 127.0.0.1
healthzPort: 10248
httpCheckFrequency: 0s
imageMinimumGCAge: 0s
kind: KubeletConfiguration
logging: {}
memorySwap: {}
nodeStatusReportFrequency: 0s
nodeStatusUpdateFrequency: 0s
rotateCertificates: true
runtimeRequestTimeout: 0s
shutdownGracePeriod: 0s
shutdownGracePeriodCriticalPods: 0s
staticPodPath: /etc/kubernetes/manifests
streamingConnectionIdleTimeout: 0s
syncFrequency: 0s
volumeStatsAggPeriod: 0s
`;

function clusterInfoKubeconfig(cluster: AddonCluster): string {
  // The same CA as every namespace's kube-root-ca.crt, as kubeadm publishes one CA everywhere.
  const caData = btoa(PLACEHOLDER_CA_CERTIFICATE);
  return `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${caData}
    server: ${apiServerURL(cluster)}
  name: ""
contexts: null
current-context: ""
kind: Config
preferences: {}
users: null
`;
}

function kubeadmConfigMaps(cluster: AddonCluster): ResourceObject[] {
  const cm = (name: string, namespace: string, data: Record<string, string>) =>
    core("configmaps", { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data });
  return [
    cm("kubeadm-config", "kube-system", { ClusterConfiguration: clusterConfiguration(cluster.kubernetesVersion) }),
    cm("kubelet-config", "kube-system", { kubelet: kubeletConfiguration }),
    cm("cluster-info", "kube-public", { kubeconfig: clusterInfoKubeconfig(cluster) }),
  ];
}

/** The leader-election Leases the scheduler and controller manager hold (`<node>_<uuid>`). */
function leaderLeases(cluster: AddonCluster): ResourceObject[] {
  const time = formatMicroTime(cluster.nowMs);
  return ["kube-controller-manager", "kube-scheduler"].map((name) => ({
    group: "coordination.k8s.io",
    resource: "leases",
    object: {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace: "kube-system" },
      spec: {
        holderIdentity: `${cluster.controlPlane.name}_${uuidFrom(stableHex(`${cluster.sandboxId}/${name}/leader`))}`,
        leaseDurationSeconds: 15,
        acquireTime: time,
        renewTime: time,
        leaseTransitions: 0,
      },
    },
  }));
}

/** `kubectl get componentstatuses`: every component Healthy, with the probes' own messages. */
function componentStatuses(): ResourceObject[] {
  const healthy = (name: string, message: string) =>
    core("componentstatuses", { apiVersion: "v1", kind: "ComponentStatus", metadata: { name }, conditions: [{ type: "Healthy", status: "True", message }] });
  return [healthy("scheduler", "ok"), healthy("controller-manager", "ok"), healthy("etcd-0", '{"health":"true","reason":""}')];
}

/** Every add-on object except the mirror pods; written once the namespaces of {@link addonNamespaces} exist. */
export function addonObjects(cluster: AddonCluster): ResourceObject[] {
  return [...kubeadmConfigMaps(cluster), ...leaderLeases(cluster), ...coreDNS(cluster), ...kubeProxy(cluster), ...flannel(), ...componentStatuses()];
}
