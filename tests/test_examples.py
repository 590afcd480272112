"""examples/walkthrough.py runs from start to end (its asserts are the checks: price to
1e-12, 1976 quotes with > 99% of mids solved, Greeks equal to the quotes table's to 1e-12
relative, the longest SPX smile 'ok' within 0.5 vol point RMSE, Avellaneda-Stoikov's
published gamma = 0.1 row within 5 standard errors + 1% (mean) and 10% (stds), the
hedging P&L within 4 standard errors + 1% of BS(actual) - BS(implied)). It runs in its
own process, as a user runs it (about 50 s of CPU, most of it XLA compiling)."""

import subprocess
import sys


def test_walkthrough_runs(repo):
    done = subprocess.run([sys.executable, str(repo / "examples" / "walkthrough.py")], cwd=repo,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "edge BS(" in done.stdout
