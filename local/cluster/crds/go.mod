module iotpipe.local/cluster/crds

// Pins the Go module whose published CRD manifests (example/prometheus-operator-crd) the local
// control plane installs. Nothing is compiled from it; see local/cluster/README.md.

go 1.26.0

require github.com/prometheus-operator/prometheus-operator v0.89.0
