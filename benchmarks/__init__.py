"""Same-process performance comparisons behind ``tools/analysis_tools/benchmark.py`` (one file per
benchmark, shared timing helpers in :mod:`benchmarks.common`). Not part of the installed package."""
