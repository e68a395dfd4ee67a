"""Jobs from a suite (``jobs``) and the job sources that feed an executor: a fixed list or the tuner (``tuning``), whose trials come from a ``samplers`` class."""
