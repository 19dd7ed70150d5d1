"""Background fields: what covariates alone say about O2, fitted on training-fold labels only, so that
OxyGenerator learns the anomaly (see :mod:`oxygen_hpc.background.build`)."""
