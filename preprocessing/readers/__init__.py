"""One module per observation source format. See :mod:`preprocessing.readers.base` for the contract."""
