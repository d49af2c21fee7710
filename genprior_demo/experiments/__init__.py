"""Experiment code — the quality report (``bench_quality``), generator evaluation (``evaluate``) and
the baselines of the unknown-forward-model experiments (``unknown_models``). Not part of the library's
API: it uses the library as a user would (problems, method streams, metrics)."""
