# Kubernetes manifests from cdk8s/ (issue 9): synth per profile, the Helm chart, the typed CRD
# imports, and their tests. Owned by cdk8s/; included by the Makefile.
CDK8S_MAIN := node cdk8s/dist/src/main.js
HELM_VERSION := v4.3.1
HELM_BIN := $(or $(IOTPIPE_CACHE_DIR),$(HOME)/.cache/iotpipe)/helm-$(HELM_VERSION)/helm

.PHONY: cdk8s-compile synth chart cdk8s-import helm test-manifests

cdk8s-compile:
	@npx tsc -b cdk8s

synth: cdk8s-compile ## write cdk8s/dist/kind and cdk8s/dist/production (kubectl apply -f ...)
	@$(CDK8S_MAIN) synth

chart: cdk8s-compile ## regenerate the Helm chart charts/iotpipe from cdk8s
	@$(CDK8S_MAIN) chart

cdk8s-import: cdk8s-compile ## regenerate cdk8s/imports from the pinned CRDs (cdk8s import, offline)
	@node cdk8s/dist/src/import-main.js

helm: $(HELM_BIN) ## build helm from the Go module proxy into the cache (about 3 min on 2 cores)

$(HELM_BIN):
	@command -v go >/dev/null || { echo "helm: needs Go 1.26+ (IOTPIPE_GO)" >&2; exit 1; }
	@mkdir -p $(dir $(HELM_BIN))
	GOBIN=$(dir $(HELM_BIN)) GOFLAGS=-trimpath go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

test-manifests: cdk8s-compile helm ## cdk8s unit tests, then dry runs, import drift and helm template against the control plane
	@npx vitest run --project unit cdk8s/src
	@IOTPIPE_HELM=$(HELM_BIN) npx vitest run --project manifests
