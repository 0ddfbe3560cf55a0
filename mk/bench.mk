# The end-to-end benchmark (bench/harness, entry bench/run.ts, run from source: no image holds it)
# on the local stack (`make stack-up`). Included by the Makefile. Settings: `node --import tsx bench/run.ts --help`;
# BENCH_ARGS passes flags, e.g. make bench BENCH_ARGS="--variant base --variant 'two:sinks=2'".
.PHONY: bench bench-smoke

bench: build ## full benchmark (<= ~10 min): ceilings + stepped pipeline; bench/results, bench/README.md
	@node --import tsx bench/run.ts --publish $(BENCH_ARGS)

bench-smoke: build ## seconds-long benchmark run (vitest project bench): it runs and the counts match
	@npx vitest run --project bench
