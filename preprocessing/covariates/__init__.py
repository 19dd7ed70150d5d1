"""``oxygen-hpc covariates``: ``covariates.nc`` (the contract in docs/architecture.md) for a grid, from the T/S
products users have — the World Ocean Atlas (WOA18/WOA23) as climatology and the Met Office EN4 analyses for
year-varying fields. ``sources`` reads and checks the files, ``regrid`` puts them on the grid (xarray interpolation)
and builds the ocean mask, ``build`` runs the years, ``writer`` writes the file."""
