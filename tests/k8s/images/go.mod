module fortress.local/k8s-images

go 1.24.0
