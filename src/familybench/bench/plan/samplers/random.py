"""Random search: a trial's point is a pure function of the group and the trial index."""

from __future__ import annotations

from familybench.bench.plan.group import Group, stable_int


class RandomSampler:
    """Random search, the same on any executor, at any ``--jobs`` and after a resume.

    The point is drawn with a generator seeded from (tune seed, config base name, dataset
    identity, job seed, fold, train size, trial index).
    """

    def __init__(self, seed: int):
        self.seed = seed

    def point(self, group: Group, trial: int) -> tuple[dict, None]:
        import numpy as np

        job = group.base_job
        # The dataset as the suite names it, not its bytes: a file's content hash is in the
        # job key (results never mix), but the sampled params stay put when its rows change.
        dataset = {k: v for k, v in job.dataset.identity().items() if k != "sha256"}
        seed = stable_int(self.seed, group.config.base, dataset, job.seed, job.fold, job.train_size, trial)
        return group.space.sample(np.random.default_rng(seed)), None
