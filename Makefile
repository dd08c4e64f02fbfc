# The two commands of the README: `make demo` and `make test`.
.PHONY: demo test serve bench

demo:
	scripts/setup.sh
	.venv/bin/zhian demo

test:
	scripts/test.sh

serve:
	scripts/setup.sh
	.venv/bin/zhian db upgrade
	.venv/bin/zhian serve

bench:
	scripts/setup.sh test
	for b in bench/bench_*.py; do .venv/bin/python $$b || exit 1; done
