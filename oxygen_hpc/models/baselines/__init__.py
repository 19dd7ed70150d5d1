"""Non-neural baselines with ``fit(train_table) / predict(table)`` on per-node tables (see ``base``)."""
from oxygen_hpc.models.baselines.base import TableBaseline, scaled_coordinates
from oxygen_hpc.models.baselines.climatology import Climatology
from oxygen_hpc.models.baselines.idw import InverseDistanceWeighting
from oxygen_hpc.models.baselines.numerical_model import NumericalModel
from oxygen_hpc.models.baselines.objective_mapping import ObjectiveMapping
from oxygen_hpc.models.baselines.regression_kriging import RegressionKriging
from oxygen_hpc.models.baselines.tree_ensemble import TreeEnsemble

__all__ = ["TableBaseline", "scaled_coordinates", "Climatology", "InverseDistanceWeighting", "NumericalModel",
           "ObjectiveMapping", "RegressionKriging", "TreeEnsemble"]
