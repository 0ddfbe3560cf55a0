# The IoTPipeline operator (operator/): CRD generation and its tests against the local control
# plane (`make cluster-up`) and the local stack's registry, Kafka, PostgreSQL and Mosquitto
# (`make stack-up`). Included by the Makefile.
.PHONY: operator-crd test-operator operator-bench

operator-crd: ## regenerate operator/crd/iotpipelines.iotpipe.io.yaml from operator/src/crd
	@npx tsc -b operator && node operator/dist/crd/generate.js

test-operator: ## operator tests: unit, then tests/operator on the local control plane + stack
	@npx tsc -b
	@npx vitest run --project unit operator/src
	@npx vitest run --project operator

operator-bench: ## operator figures at 100, 300 and 1,000 IoTPipelines (OPERATOR_BENCH_COUNTS; needs the stack; prints, asserts nothing)
	@npx tsc -b
	@npx tsx bench/operator.ts $(or $(OPERATOR_BENCH_COUNTS),100 300 1000)
