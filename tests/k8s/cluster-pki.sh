# shellcheck shell=bash
# The cluster's CA, certificates and kubeconfigs. Sourced by cluster.sh, which sets STATE, NODE_IP,
# SERVICE_IP, API and the helpers (log, die) used here; not a command of its own.

# --- certificates -----------------------------------------------------------------------------

cert() { # NAME CN [O] [SAN]: a client or server certificate signed by the cluster CA
  local name=$1 cn=$2 org=${3:-} san=${4:-} subj ext
  subj="/CN=$cn"
  [[ -z $org ]] || subj="/O=$org$subj"
  ext=$STATE/pki/$name.ext
  {
    echo "basicConstraints=critical,CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    if [[ -n $san ]]; then
      echo "extendedKeyUsage=serverAuth,clientAuth"
      echo "subjectAltName=$san"
    else
      echo "extendedKeyUsage=clientAuth"
    fi
  } >"$ext"
  openssl ecparam -name prime256v1 -genkey -noout -out "$STATE/pki/$name.key" 2>/dev/null
  openssl req -new -key "$STATE/pki/$name.key" -subj "$subj" -out "$STATE/pki/$name.csr" 2>/dev/null
  openssl x509 -req -in "$STATE/pki/$name.csr" -CA "$STATE/pki/ca.crt" -CAkey "$STATE/pki/ca.key" \
    -CAcreateserial -days 2 -extfile "$ext" -out "$STATE/pki/$name.crt" 2>/dev/null
  rm -f "$STATE/pki/$name.csr" "$ext"
}

kubeconfig() { # NAME: a kubeconfig for the certificate NAME
  cat >"$STATE/$1.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: fortress
    cluster: { server: "$API", certificate-authority: "$STATE/pki/ca.crt" }
users:
  - name: $1
    user: { client-certificate: "$STATE/pki/$1.crt", client-key: "$STATE/pki/$1.key" }
contexts:
  - name: fortress
    context: { cluster: fortress, user: $1 }
current-context: fortress
EOF
}

pki() {
  mkdir -p "$STATE/pki"
  chmod 0700 "$STATE/pki"
  openssl ecparam -name prime256v1 -genkey -noout -out "$STATE/pki/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$STATE/pki/ca.key" -subj "/CN=fortress-k8s$ID-ca" -days 2 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$STATE/pki/ca.crt" 2>/dev/null
  cert apiserver kube-apiserver "" \
    "IP:$NODE_IP,IP:127.0.0.1,IP:$SERVICE_IP,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost"
  cert admin fortress-admin system:masters
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters
  cert controller-manager system:kube-controller-manager
  cert scheduler system:kube-scheduler
  cert kwok fortress-kwok system:masters
  cert kubelet "system:node:$NODE" system:nodes
  for n in admin controller-manager scheduler kwok kubelet; do kubeconfig "$n"; done
  openssl genrsa -out "$STATE/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$STATE/pki/sa.key" -pubout -out "$STATE/pki/sa.pub" 2>/dev/null
  # For k3s's secrets-encryption: Secrets stored encrypted in etcd (used when asked for).
  cat >"$STATE/encryption.yaml" <<EOF
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources: [secrets]
    providers:
      - aescbc:
          keys:
            - name: fortress
              secret: $(head -c 32 /dev/urandom | base64)
      - identity: {}
EOF
  chmod 0600 "$STATE/encryption.yaml"
}
