"""The run driver: options (``options``), the stage calls (``driver``), the hooks that watch a run (``hooks``)."""
