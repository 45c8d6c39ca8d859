#!/usr/bin/env sh
# Runs the engine benchmark on one core (taskset) when the machine has it, with the GC exposed for memory figures.
cd "$(dirname "$0")/.." || exit 1
if command -v taskset >/dev/null 2>&1; then
  exec taskset -c 0 node --expose-gc --import tsx bench/engine.ts
fi
exec node --expose-gc --import tsx bench/engine.ts
