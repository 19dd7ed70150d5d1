"""Neural operators of the learning side, one per file (PyG style)."""
from oxygen_hpc.nn.affine import AFFINE_MODES, affine_param_size, apply_node_affine, split_affine_params
from oxygen_hpc.nn.conv import ZoningVaryingConv
from oxygen_hpc.nn.edge_weight import SoftmaxEdgeWeight
from oxygen_hpc.nn.feature_encoder import FeatureEncoder
from oxygen_hpc.nn.hypernetwork import ZoneHypernetwork
from oxygen_hpc.nn.temporal_encoder import TemporalEncoder
from oxygen_hpc.nn.weighted_aggregate import weighted_aggregate
from oxygen_hpc.nn.zone_affine import ZoneAffineTable

__all__ = [
    "AFFINE_MODES", "affine_param_size", "apply_node_affine", "split_affine_params",
    "ZoningVaryingConv", "SoftmaxEdgeWeight", "FeatureEncoder", "ZoneHypernetwork", "TemporalEncoder",
    "ZoneAffineTable", "weighted_aggregate",
]
