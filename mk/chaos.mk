# The chaos suite (tests/chaos, issue 12): faults on purpose while data flows through the local
# stack (`make stack-up`); the API-server scenario uses the local control plane (started if
# not up). Each scenario ends with the database compared to the simulator's manifest and
# rewrites its row of the table in tests/chaos/README.md. Included by the Makefile.
.PHONY: chaos

chaos: ## chaos scenarios on the running local stack (about 15 min); rewrites tests/chaos/README.md
	@npx tsc -b
	@npx vitest run --project chaos
