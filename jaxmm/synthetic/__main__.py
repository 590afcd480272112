"""``python -m jaxmm.synthetic OUT_DIR [--config FILE.yaml]``: write the synthetic data;
``python -m jaxmm.synthetic --schema``: rewrite workflow/schemas/synthetic.fragment.yaml."""

from __future__ import annotations

import argparse
from pathlib import Path

from jaxmm.synthetic import generate
from jaxmm.synthetic.config import write_schema_fragment

FRAGMENT = Path(__file__).resolve().parents[2] / "workflow" / "schemas" / "synthetic.fragment.yaml"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m jaxmm.synthetic", description=__doc__)
    ap.add_argument("out_dir", nargs="?", help="output directory")
    ap.add_argument("--config", help="YAML file with the synthetic section (or a full config.yaml)")
    ap.add_argument("--schema", action="store_true", help=f"write {FRAGMENT.name} and exit")
    args = ap.parse_args(argv)
    if args.schema:
        write_schema_fragment(FRAGMENT)
        return
    if not args.out_dir:
        ap.error("OUT_DIR is required (or --schema)")
    cfg = {}
    if args.config:
        import yaml

        cfg = yaml.safe_load(Path(args.config).read_text()) or {}
        cfg = cfg.get("synthetic", cfg)
    for kind, files in generate(cfg, args.out_dir).items():
        print(f"{kind}: {len(files)} files")


if __name__ == "__main__":
    main()
