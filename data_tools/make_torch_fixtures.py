#!/usr/bin/env python3
"""Regenerate every PyTorch reference fixture in tests/fixtures/.

    /usr/bin/python3 data_tools/make_torch_fixtures.py     (Debian's python3-torch)

Each module in data_tools/torch_fixtures/ (other than fixture_io) defines main(out_dir) and writes
its own files. The tests only read the committed results; they never need Python.
"""
import importlib
import os
import pkgutil
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "torch_fixtures"))
out_dir = os.path.join(here, "..", "tests", "fixtures")

for mod in sorted(m.name for m in pkgutil.iter_modules([os.path.join(here, "torch_fixtures")])):
    if mod == "fixture_io":
        continue
    print("fixtures:", mod)
    importlib.import_module(mod).main(out_dir)
