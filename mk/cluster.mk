# The local Kubernetes control plane: etcd + kube-apiserver built from the Go module proxy, no
# kubelet. See local/cluster/README.md. Owned by local/src/cluster; included by the Makefile.
CLUSTER_CLI := node local/dist/cluster/cli.js

.PHONY: cluster-compile cluster-build cluster-up cluster-down cluster-status test-cluster

cluster-compile:
	@npx tsc -b local

cluster-build: cluster-compile ## build etcd + kube-apiserver (first time: minutes) and fetch the CRDs
	@$(CLUSTER_CLI) build

cluster-up: cluster-compile ## start the local control plane + platform CRDs (idempotent)
	@$(CLUSTER_CLI) up

cluster-down: ## stop the local control plane (state is kept)
	@if [ -f local/dist/cluster/cli.js ]; then $(CLUSTER_CLI) down; fi

cluster-status: cluster-compile ## probe etcd and kube-apiserver; fails when not ready
	@$(CLUSTER_CLI) status

test-cluster: cluster-build ## run tests/cluster against the control plane, starting and stopping it if needed
	@local/cluster/test-cluster.sh

# The single-node cluster (`make node-up`): the control plane plus containerd, kubelet,
# kube-controller-manager, kube-scheduler, kube-proxy, bridge CNI, CoreDNS, a volume provisioner.
.PHONY: node-build node-up node-down node-status

node-build: cluster-compile ## build the node's binaries (Kubernetes components, CoreDNS, provisioner; cold: ~15 min)
	@$(CLUSTER_CLI) build --node

node-up: cluster-compile ## start the single-node cluster (idempotent); prints KUBECONFIG
	@$(CLUSTER_CLI) up --node

node-down: ## stop the node and undo every process, mount, route, rule, bridge and cgroup it made
	@if [ -f local/dist/cluster/cli.js ]; then $(CLUSTER_CLI) down --node; fi

node-status: cluster-compile ## probe every part of the node; fails when not ready
	@$(CLUSTER_CLI) status --node
