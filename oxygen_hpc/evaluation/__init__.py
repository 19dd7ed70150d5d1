"""OSSE evaluation: per-node tables from partitions, truth look-up, metrics, and the train/evaluate harness that
``benchmarks/osse.py`` runs for OxyGenerator, the neural baselines, the table baselines and the ablations."""
