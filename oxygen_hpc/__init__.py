"""oxygen_hpc: OxyGenerator (ICML 2024) as a distributed HPC system.

The learning side (this package) never imports Dask; the preprocessing side (``preprocessing``) never
imports torch. Importing this package itself is cheap: submodules are imported where they are used.
"""

__version__ = "0.1.0"
