"""TabM (Gorishniy et al. 2025), parameter-efficient ensembling of MLPs, with its
recommended defaults (TabM-D) through ``pytabkit`` (``pip install 'familybench[nets]'``).

Every parameter left ``None`` keeps TabM-D's default (tabm-mini with k = 32 members,
piecewise-linear numerical embeddings, AdamW, early stopping on 20 % of the rows it is
fitted on, at most 1000 epochs with patience 16).
"""

from __future__ import annotations

from .._devices import AUTO
from .._tasks import check_task
from ._base import FamilyClassifier, FamilyRegressor
from ._pytabkit import PyTabKitModel
from ._space import Categorical, Float, Int, SearchSpace

_PARAMS = (
    "arch_type", "tabm_k", "num_emb_type", "num_emb_n_bins", "d_embedding", "d_block", "n_blocks", "dropout",
    "batch_size", "lr", "weight_decay", "n_epochs", "patience", "gradient_clipping_norm", "share_training_batches",
    "val_fraction",
)


class _TabMMixin(PyTabKitModel):
    _library_params = _PARAMS

    def __init__(
        self,
        arch_type=None,
        tabm_k=None,
        num_emb_type=None,
        num_emb_n_bins=None,
        d_embedding=None,
        d_block=None,
        n_blocks=None,
        dropout=None,
        batch_size=None,
        lr=None,
        weight_decay=None,
        n_epochs=None,
        patience=None,
        gradient_clipping_norm=None,
        share_training_batches=None,
        val_fraction=0.2,
        device=AUTO,
        n_jobs=None,
        random_state=None,
        extra_params=None,
        preprocessor=None,
    ):
        self.arch_type = arch_type
        self.tabm_k = tabm_k
        self.num_emb_type = num_emb_type
        self.num_emb_n_bins = num_emb_n_bins
        self.d_embedding = d_embedding
        self.d_block = d_block
        self.n_blocks = n_blocks
        self.dropout = dropout
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.n_epochs = n_epochs
        self.patience = patience
        self.gradient_clipping_norm = gradient_clipping_norm
        self.share_training_batches = share_training_batches
        self.val_fraction = val_fraction
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.extra_params = extra_params
        self.preprocessor = preprocessor


class TabMRegressor(_TabMMixin, FamilyRegressor):
    """TabM-D regressor (``pytabkit.TabM_D_Regressor``).

    Parameters are pytabkit's names; ``None`` keeps TabM-D's default, ``extra_params``
    passes any other pytabkit parameter through. ``n_jobs=None`` uses the job's thread
    budget; ``device="auto"`` trains on CUDA when torch sees a GPU.

    Attributes
    ----------
    model_ : pytabkit.TabM_D_Regressor
    n_params_ : int
        Learned weights of the fitted network (its k members share most of them).
    """

    _library_class = "TabM_D_Regressor"



class TabMClassifier(_TabMMixin, FamilyClassifier):
    """TabM-D classifier (``pytabkit.TabM_D_Classifier``); parameters as :class:`TabMRegressor`."""

    _library_class = "TabM_D_Classifier"



def _weight_decay_to_params(sampled: dict) -> dict:
    """TabArena's "0 or log-uniform" weight decay and dropout as on/off switches."""
    params = dict(sampled)
    decay, use_decay = params.pop("weight_decay_value"), params.pop("use_weight_decay")
    dropout, use_dropout = params.pop("dropout_value"), params.pop("use_dropout")
    params["weight_decay"] = decay if use_decay else 0.0
    params["dropout"] = dropout if use_dropout else 0.0
    return params


def tabm_space(task: str) -> SearchSpace:
    """The ``tabm`` member's built-in search space (the same for every task).

    Source: TabArena (``autogluon/tabarena``, ``tabarena/models/tabm/hpo.py``,
    ``generate_single_config_tabm``, from the TabM authors' tabm-mini-piecewiselinear
    tuning): lr log 1e-4-3e-3, weight_decay 0 or log 1e-4-0.1 (virtual switch), n_blocks
    2-5, d_block 128-1024 in steps of 16 (here 8 choices: 128, 256, ..., 1024), dropout 0
    or 0-0.5 (virtual switch), d_embedding 8-32 in steps of 4, num_emb_n_bins 2-128; fixed:
    tabm-mini, k = 32, piecewise-linear embeddings, patience 16, gradient clipping 1.0, no
    shared training batches.

    Parameters
    ----------
    task : {"regression", "binary", "multiclass"}

    Returns
    -------
    SearchSpace
    """
    check_task(task)
    return SearchSpace(
        {
            "lr": Float(1e-4, 3e-3, log=True),
            "use_weight_decay": Categorical((False, True)),
            "weight_decay_value": Float(1e-4, 0.1, log=True),
            "n_blocks": Int(2, 5),
            "d_block": Categorical((128, 256, 384, 512, 640, 768, 896, 1024)),
            "use_dropout": Categorical((False, True)),
            "dropout_value": Float(0.0, 0.5),
            "d_embedding": Categorical((8, 12, 16, 20, 24, 28, 32)),
            "num_emb_n_bins": Int(2, 128),
        },
        fixed={"arch_type": "tabm-mini", "tabm_k": 32, "num_emb_type": "pwl", "patience": 16,
               "gradient_clipping_norm": 1.0, "share_training_batches": False},
        to_params=_weight_decay_to_params,
        virtual=("use_weight_decay", "weight_decay_value", "use_dropout", "dropout_value"),
        source="TabArena (autogluon/tabarena models/tabm/hpo.py, from the TabM authors' tuning); d_block in 8 steps",
    )
