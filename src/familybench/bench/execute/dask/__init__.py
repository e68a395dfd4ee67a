"""The Dask executor: the client side (``executor``, ``cluster``, ``view``, ``shipping``) and the worker side (``worker``, ``child``)."""
