"""The model zoo: plain ``nn.Module`` architectures built from a trunk and a head.

Use :func:`create_model` with a registered name (:func:`list_models`). Every model maps
a one-hot tensor ``(N, C, L)`` to logits ``(N, n_outputs)``. Importing this package
registers every architecture: ``deepbind``, ``deepsea``, ``basset``, ``danq``,
``dilated_resnet``, ``bpnet`` (per-base profiles), ``deepmir`` (packed sequence + RNA
structure input) and ``deepcpg_cpg`` / ``deepcpg`` (packed CpG-neighbourhood input); for
proteins ``deeploc``, ``deepfam``, ``deepgoplus_cnn`` and the per-residue
``residue_tagger``; on UniRep embeddings ``light_attention`` and the per-residue
``residue_embedding``; for expression matrices ``mlp`` and ``dae`` (denoising
autoencoder, pre-trained by :func:`pretrain_unsupervised`); for several matrices joined
by sample id (multi-omics) ``multiview``.
"""

from __future__ import annotations

from biodl.models.autoencoder import DAEParams, Pretrainable, pretrain_unsupervised
from biodl.models.auxiliary import (
    AuxiliaryModel,
    AuxiliaryOutput,
    WithAuxiliary,
    auxiliary_outputs,
    auxiliary_targets,
    forward_with_auxiliary,
    predict_with_auxiliary,
    split_auxiliary,
)
from biodl.models.basset import BassetParams, basset
from biodl.models.blocks import (
    ConvBlock,
    ConvLayer,
    ConvStack,
    DilatedResidualBlock,
    FlattenDenseHead,
    dilation_schedule,
    receptive_field,
)
from biodl.models.bpnet import BPNetParams, bpnet
from biodl.models.danq import DanQParams, DanQTrunk, danq
from biodl.models.deepbind import DeepBindParams, DeepBindTrunk, deepbind
from biodl.models.deepcpg import DeepCpGCpgParams, DeepCpGParams
from biodl.models.deepfam import DeepFamParams
from biodl.models.deepgoplus import DeepGOPlusParams
from biodl.models.deeploc import MEMBRANE, DeepLocModel, DeepLocParams
from biodl.models.deepmir import DeepMirParams
from biodl.models.deepsea import DeepSEAParams, deepsea
from biodl.models.dilated_resnet import (
    DilatedResNetParams,
    DilatedResNetTrunk,
    ProfileHead,
    dilated_resnet,
)
from biodl.models.ensemble import Ensemble
from biodl.models.layers import DenseHead, GlobalPool, SequenceModel, reverse_complement_tensor
from biodl.models.light_attention import LightAttentionParams, ResidueEmbeddingParams
from biodl.models.locality import (
    DescribesForward,
    Link,
    NonLocal,
    Residual,
    TwoStrands,
    forward_chain,
    run_chain,
)
from biodl.models.mlp import MLPParams
from biodl.models.molecules import DMPNNParams, FingerprintMLPParams, GINParams
from biodl.models.multiview import MultiViewParams
from biodl.models.pileup import PileupCNNParams
from biodl.models.predict import default_device, predict
from biodl.models.registry import (
    ModelIO,
    ModelSpec,
    create_model,
    get_model_spec,
    list_models,
    register_model,
    validate_params,
)
from biodl.models.residue_tagger import ResidueTaggerParams
from biodl.models.validate import (
    check_array,
    check_choice,
    check_one_hot,
    check_positive_int,
    check_target,
)

__all__ = [
    "MEMBRANE",
    "AuxiliaryModel",
    "AuxiliaryOutput",
    "BPNetParams",
    "BassetParams",
    "ConvBlock",
    "ConvLayer",
    "ConvStack",
    "DAEParams",
    "DMPNNParams",
    "DanQParams",
    "DanQTrunk",
    "DeepBindParams",
    "DeepBindTrunk",
    "DeepCpGCpgParams",
    "DeepCpGParams",
    "DeepFamParams",
    "DeepGOPlusParams",
    "DeepLocModel",
    "DeepLocParams",
    "DeepMirParams",
    "DeepSEAParams",
    "DenseHead",
    "DescribesForward",
    "DilatedResNetParams",
    "DilatedResNetTrunk",
    "DilatedResidualBlock",
    "Ensemble",
    "FingerprintMLPParams",
    "FlattenDenseHead",
    "GINParams",
    "GlobalPool",
    "LightAttentionParams",
    "Link",
    "MLPParams",
    "ModelIO",
    "ModelSpec",
    "MultiViewParams",
    "NonLocal",
    "PileupCNNParams",
    "Pretrainable",
    "ProfileHead",
    "Residual",
    "ResidueEmbeddingParams",
    "ResidueTaggerParams",
    "SequenceModel",
    "TwoStrands",
    "WithAuxiliary",
    "auxiliary_outputs",
    "auxiliary_targets",
    "basset",
    "bpnet",
    "check_array",
    "check_choice",
    "check_one_hot",
    "check_positive_int",
    "check_target",
    "create_model",
    "danq",
    "deepbind",
    "deepsea",
    "default_device",
    "dilated_resnet",
    "dilation_schedule",
    "forward_chain",
    "forward_with_auxiliary",
    "get_model_spec",
    "list_models",
    "predict",
    "predict_with_auxiliary",
    "pretrain_unsupervised",
    "receptive_field",
    "register_model",
    "reverse_complement_tensor",
    "run_chain",
    "split_auxiliary",
    "validate_params",
]
