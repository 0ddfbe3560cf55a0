#!/usr/bin/env bash
set -u
/work/wt/i18kafka/.scratch/hold-chaos-plus.sh
echo "== before"
/work/wt/i18kafka/.scratch/hold-before.sh
