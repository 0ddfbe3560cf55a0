# Alerting rules and the local Prometheus/Alertmanager configs: promtool unit tests for every
# rule, rule and config checks, amtool on the Alertmanager config. Owned by monitoring/.
MONITORING_RENDER := .state/monitoring-check

.PHONY: test-monitoring

test-monitoring: ## promtool test/check rules, promtool check config, amtool check-config
	@command -v promtool >/dev/null || { echo "test-monitoring: promtool is missing (Debian: prometheus)" >&2; exit 1; }
	@command -v amtool >/dev/null || { echo "test-monitoring: amtool is missing (Debian: prometheus-alertmanager)" >&2; exit 1; }
	@promtool check rules monitoring/rules/*.rules.yml
	@promtool test rules monitoring/rules/tests/*.yml
	@node monitoring/check-rule-tests.mjs
	@npx tsc -b local
	@node monitoring/render-local-configs.mjs $(MONITORING_RENDER)
	@promtool check config $(MONITORING_RENDER)/prometheus.yml
	@amtool check-config $(MONITORING_RENDER)/alertmanager.yml
