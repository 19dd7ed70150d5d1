"""Partition stage: grid the observations and write HDF5 graph partitions (year x zone, halos, folds)."""
