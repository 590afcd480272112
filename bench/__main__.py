"""Run every benchmark: `python -m bench` (make bench). Results go to results/bench/."""

import importlib
import pkgutil
import sys
from pathlib import Path

names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
selected = [n for n in names if not sys.argv[1:] or any(a in n for a in sys.argv[1:])]
for name in selected:
    print(f"== {name}", flush=True)
    importlib.import_module(f"bench.{name}").main()
