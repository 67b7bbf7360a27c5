# tests: the front / signer process split of tanbad (what each process
# holds, and the signer killed under load and restarted).
TESTS += tests/split-procs.sh tests/split-restart.sh
EXTRA_DIST += tests/split-procs.sh tests/split-restart.sh
