"""Tree ensemble on covariate features (as GOBAI / GEOXYGEN / BLENDR): gradient boosting or a random forest."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

from oxygen_hpc.models.baselines.base import TableBaseline, labelled

EXCLUDED = ("y", "cell", "fold", "y_count")


class TreeEnsemble(TableBaseline):
    """Regress ``y`` on the feature columns with scikit-learn trees.

    Args:
        kind (str): ``"hgb"`` (HistGradientBoostingRegressor) or ``"rf"`` (RandomForestRegressor).
        feature_columns (list of str, optional): columns to use; default every numeric column except
            ``y``, ``cell``, ``fold``, ``y_count`` (so position columns lat/lon/depth/year are used too).
        max_iter (int): boosting iterations / number of trees.
        max_depth (int, optional): tree depth (None = sklearn default).
        learning_rate (float): boosting learning rate.
        random_state (int): seed.
    """

    def __init__(self, kind: str = "hgb", feature_columns: Optional[Sequence[str]] = None, max_iter: int = 300,
                 max_depth: Optional[int] = None, learning_rate: float = 0.1, random_state: int = 0) -> None:
        if kind not in ("hgb", "rf"):
            raise ValueError(f"kind must be 'hgb' or 'rf', got {kind!r}")
        self.kind = kind
        self.feature_columns = list(feature_columns) if feature_columns is not None else None
        self.max_iter, self.max_depth, self.learning_rate, self.random_state = (
            max_iter, max_depth, learning_rate, random_state)

    def _columns(self, table: pd.DataFrame) -> list[str]:
        if self.feature_columns is not None:
            return self.feature_columns
        return [c for c in table.columns if c not in EXCLUDED and pd.api.types.is_numeric_dtype(table[c])]

    def fit(self, train_table: pd.DataFrame) -> "TreeEnsemble":
        train = labelled(train_table)
        self.columns_ = self._columns(train)
        if not self.columns_:
            raise ValueError("no feature columns")
        if self.kind == "hgb":
            self.model = HistGradientBoostingRegressor(max_iter=self.max_iter, max_depth=self.max_depth,
                                                       learning_rate=self.learning_rate,
                                                       random_state=self.random_state)
        else:
            self.model = RandomForestRegressor(n_estimators=self.max_iter, max_depth=self.max_depth,
                                               random_state=self.random_state, n_jobs=1)
        self.model.fit(train[self.columns_].to_numpy(dtype=float), train["y"].to_numpy(dtype=float))
        self.fitted = True
        return self

    def predict(self, table: pd.DataFrame) -> np.ndarray:
        self._check_fitted()
        return self.model.predict(table[self.columns_].to_numpy(dtype=float))
