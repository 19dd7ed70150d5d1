"""One module per native output format."""
