#!/usr/bin/env bash
# Fortress K3sCluster: prints the cluster's admin kubeconfig, pointed at the API endpoint the
# program reaches. Its output is a secret (the component marks it so and does not log it).
set -euo pipefail
FORTRESS_SCRIPT=fortress-k3s-kubeconfig

API_ENDPOINT=@@API_ENDPOINT@@

kubeconfig=/etc/rancher/k3s/k3s.yaml
[[ -s $kubeconfig ]] || { echo "$FORTRESS_SCRIPT: no $kubeconfig: k3s has not started here" >&2; exit 1; }
sed "s#server: https://127.0.0.1:6443#server: https://$API_ENDPOINT:6443#" "$kubeconfig"
