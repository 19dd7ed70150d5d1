"""Ingest: observation files of five sources → the Parquet observation store, every value accounted for."""
