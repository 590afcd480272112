"""Run every benchmark: `python -m bench [NAME ...]` (make bench). Results go to results/bench/.

Each benchmark runs in its own Python process, so each starts JAX with its own settings
(bench_iv asks for one XLA host device per core and a SIMD width before JAX starts).
"""

import pkgutil
import subprocess
import sys
from pathlib import Path

names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
selected = [n for n in names if not sys.argv[1:] or any(a in n for a in sys.argv[1:])]
failed = []
for name in selected:
    print(f"== {name}", flush=True)
    if subprocess.run([sys.executable, "-m", f"bench.{name}"]).returncode != 0:
        failed.append(name)
if failed:
    sys.exit(f"benchmarks failed: {', '.join(failed)}")
