"""Preprocessing stages that run on Dask: synthetic ocean, ingest, partition. Never imports torch."""
