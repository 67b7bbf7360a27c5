# tests: the mutation harness (scripts/mutate, run by scripts/test with TANBA_MUTATION;
# docs/TESTING.md) and its list of mutations of the security decisions
EXTRA_DIST += scripts/mutate tests/mutation/mutations.txt
