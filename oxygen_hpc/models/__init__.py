"""OxyGenerator and the neural baselines; every model: ``forward(batch) -> [N]`` µmol/kg."""
from oxygen_hpc.models.bilstm import BiLSTM
from oxygen_hpc.models.gat import GAT
from oxygen_hpc.models.gcn import GCN
from oxygen_hpc.models.graphsage import GraphSAGE
from oxygen_hpc.models.mlp import MLP
from oxygen_hpc.models.mlp_lstm import MLPLSTM
from oxygen_hpc.models.oxygenerator import OxyGenerator
from oxygen_hpc.models.transformer import Transformer

NEURAL_MODELS = {
    "oxygenerator": OxyGenerator, "mlp": MLP, "bilstm": BiLSTM, "mlp_lstm": MLPLSTM, "transformer": Transformer,
    "gcn": GCN, "gat": GAT, "graphsage": GraphSAGE,
}

__all__ = ["OxyGenerator", "MLP", "BiLSTM", "MLPLSTM", "Transformer", "GCN", "GAT", "GraphSAGE", "NEURAL_MODELS"]
