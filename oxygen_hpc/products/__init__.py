"""Scientific products of a reconstruction (or of the synthetic truth): OMZ areas and volumes, O2 inventory,
trends per decade, maps and time series (``oxygen-hpc products``)."""
