"""Message-passing operators."""
from oxygen_hpc.nn.conv.zoning_varying_conv import ZoningVaryingConv

__all__ = ["ZoningVaryingConv"]
