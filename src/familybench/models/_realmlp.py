"""RealMLP (Holzmüller et al. 2024), the MLP family's modern member, with its tuned
defaults (RealMLP-TD) through the authors' ``pytabkit`` (``pip install 'familybench[nets]'``).

Every parameter left ``None`` keeps RealMLP-TD's default (256 epochs, 3 × 256 hidden
units (``hidden_width`` / ``n_hidden_layers`` make the layers rectangular), PLR numerical embeddings, scheduled learning rate and dropout, label smoothing for
classification, best-epoch selection on 20 % of the rows it is fitted on). On 2 CPU cores
256 epochs take minutes on a few thousand rows: the built-in suites set ``n_epochs`` for
``--fast`` in the open, and the report shows what each fit cost.
"""

from __future__ import annotations

from .._devices import AUTO
from .._tasks import check_task
from ._base import FamilyClassifier, FamilyRegressor
from ._pytabkit import PyTabKitModel
from ._space import Categorical, Float, Int, SearchSpace

_PARAMS = (
    "n_epochs", "batch_size", "n_hidden_layers", "hidden_width", "act", "p_drop", "p_drop_sched", "lr", "wd",
    "sq_mom", "plr_sigma", "plr_hidden_1", "plr_hidden_2", "plr_lr_factor", "scale_lr_factor",
    "first_layer_lr_factor", "use_ls", "ls_eps", "ls_eps_sched", "max_one_hot_cat_size", "embedding_size",
    "use_early_stopping", "val_fraction",
)


class _RealMLPMixin(PyTabKitModel):
    _library_params = _PARAMS

    def _library_model(self):
        model = super()._library_model()
        if (self.hidden_width is not None or self.n_hidden_layers is not None) and \
                "hidden_sizes" not in (self.extra_params or {}):
            # RealMLP-TD's explicit hidden_sizes (256, 256, 256) would win over both otherwise
            model.set_params(hidden_sizes="rectangular")
        return model

    def __init__(
        self,
        n_epochs=None,
        batch_size=None,
        n_hidden_layers=None,
        hidden_width=None,
        act=None,
        p_drop=None,
        p_drop_sched=None,
        lr=None,
        wd=None,
        sq_mom=None,
        plr_sigma=None,
        plr_hidden_1=None,
        plr_hidden_2=None,
        plr_lr_factor=None,
        scale_lr_factor=None,
        first_layer_lr_factor=None,
        use_ls=None,
        ls_eps=None,
        ls_eps_sched=None,
        max_one_hot_cat_size=None,
        embedding_size=None,
        use_early_stopping=None,
        val_fraction=0.2,
        device=AUTO,
        n_jobs=None,
        random_state=None,
        extra_params=None,
        preprocessor=None,
    ):
        self.n_epochs = n_epochs
        self.batch_size = batch_size
        self.n_hidden_layers = n_hidden_layers
        self.hidden_width = hidden_width
        self.act = act
        self.p_drop = p_drop
        self.p_drop_sched = p_drop_sched
        self.lr = lr
        self.wd = wd
        self.sq_mom = sq_mom
        self.plr_sigma = plr_sigma
        self.plr_hidden_1 = plr_hidden_1
        self.plr_hidden_2 = plr_hidden_2
        self.plr_lr_factor = plr_lr_factor
        self.scale_lr_factor = scale_lr_factor
        self.first_layer_lr_factor = first_layer_lr_factor
        self.use_ls = use_ls
        self.ls_eps = ls_eps
        self.ls_eps_sched = ls_eps_sched
        self.max_one_hot_cat_size = max_one_hot_cat_size
        self.embedding_size = embedding_size
        self.use_early_stopping = use_early_stopping
        self.val_fraction = val_fraction
        self.device = device
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.extra_params = extra_params
        self.preprocessor = preprocessor


class RealMLPRegressor(_RealMLPMixin, FamilyRegressor):
    """RealMLP-TD regressor (``pytabkit.RealMLP_TD_Regressor``).

    Parameters are pytabkit's names; ``None`` keeps RealMLP-TD's default, ``extra_params``
    passes any other pytabkit parameter through. ``n_jobs=None`` uses the job's thread
    budget; ``device="auto"`` trains on CUDA when torch sees a GPU.

    Attributes
    ----------
    model_ : pytabkit.RealMLP_TD_Regressor
    n_params_ : int
        Learned weights of the fitted network (embeddings included; an ensemble counts each member).
    """

    _library_class = "RealMLP_TD_Regressor"



class RealMLPClassifier(_RealMLPMixin, FamilyClassifier):
    """RealMLP-TD classifier (``pytabkit.RealMLP_TD_Classifier``); parameters as :class:`RealMLPRegressor`."""

    _library_class = "RealMLP_TD_Classifier"



def _size_to_params(sampled: dict) -> dict:
    """TabArena's two branches: "large" samples the PLR widths and 256 or 512 epochs with
    early stopping; otherwise RealMLP-TD's PLR widths (16, 4), 256 epochs, no early stopping."""
    params = dict(sampled)
    large = bool(params.pop("large"))
    hidden_1, hidden_2, epochs = params.pop("plr_hidden_1_large"), params.pop("plr_hidden_2_large"), params.pop(
        "n_epochs_large")
    params.update(plr_hidden_1=hidden_1 if large else 16, plr_hidden_2=hidden_2 if large else 4,
                  n_epochs=epochs if large else 256, use_early_stopping=large)
    return params


def realmlp_space(task: str) -> SearchSpace:
    """The ``realmlp`` member's built-in search space (the same for every task).

    Source: TabArena (``autogluon/tabarena``, ``tabarena/models/realmlp/hpo.py``,
    ``generate_single_config_realmlp``), with pytabkit's names as there: n_hidden_layers
    2-4, hidden_width 256/384/512 (``hidden_sizes="rectangular"``), p_drop 0-0.5 (flat_cos
    schedule), act mish, plr_sigma log 1e-2-50, sq_mom = 1 - log-uniform 5e-3-5e-2 (sampled
    here directly as 0.95-0.995, log on 1 - sq_mom is not expressible: uniform), plr_lr_factor
    log 5e-2-0.3, scale_lr_factor log 2-10, first_layer_lr_factor log 0.3-1.5, ls_eps log
    5e-3-0.1 (coslog4), lr log 2e-2-0.3, wd log 1e-3-5e-2, use_ls False/True,
    max_one_hot_cat_size log 4-33, embedding_size 4/8/16; and the virtual ``large`` branch
    (half the configs: PLR widths from 8-64, 256 or 512 epochs, early stopping). TabArena's
    ``n_ens = 8`` (an ensemble of 8 networks per fit) is not set: 8× the cost on 2 cores;
    give ``extra_params = { n_ens = 8 }`` to match it. A config's own ``n_epochs`` (as the
    built-in suites set for ``--fast``) stands over the sampled one.

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
            "n_hidden_layers": Int(2, 4),
            "hidden_width": Categorical((256, 384, 512)),
            "p_drop": Float(0.0, 0.5),
            "plr_sigma": Float(1e-2, 50.0, log=True),
            "sq_mom": Float(0.95, 0.995),
            "plr_lr_factor": Float(5e-2, 0.3, log=True),
            "scale_lr_factor": Float(2.0, 10.0, log=True),
            "first_layer_lr_factor": Float(0.3, 1.5, log=True),
            "ls_eps": Float(5e-3, 0.1, log=True),
            "lr": Float(2e-2, 0.3, log=True),
            "wd": Float(1e-3, 5e-2, log=True),
            "use_ls": Categorical((False, True)),
            "max_one_hot_cat_size": Int(4, 32, log=True),
            "embedding_size": Categorical((4, 8, 16)),
            "large": Categorical((False, True)),
            "plr_hidden_1_large": Categorical((8, 16, 32, 64)),
            "plr_hidden_2_large": Categorical((8, 16, 32, 64)),
            "n_epochs_large": Categorical((256, 512)),
        },
        fixed={"act": "mish", "p_drop_sched": "flat_cos", "ls_eps_sched": "coslog4",
               "extra_params": {"hidden_sizes": "rectangular"}},
        to_params=_size_to_params,
        virtual=("large", "plr_hidden_1_large", "plr_hidden_2_large", "n_epochs_large"),
        source="TabArena (autogluon/tabarena models/realmlp/hpo.py); sq_mom uniform 0.95-0.995; n_ens 1 (TabArena 8)",
    )
