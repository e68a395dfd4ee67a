"""Two runs compared: ``read`` (two stores) -> ``evidence`` (pure: seed-paired changes) ->
``policy`` (every verdict decided once) -> ``render`` (Markdown, terminal); ``interleave``
runs a baseline ref and the working tree alternately."""

from familybench.bench.compare.read import Comparison, compare_runs

__all__ = ["Comparison", "compare_runs"]
