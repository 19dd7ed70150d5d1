"""The synthetic ocean (OSSE): truth, sampling, faults and native-format writers. Entry: ``cli.main``."""
