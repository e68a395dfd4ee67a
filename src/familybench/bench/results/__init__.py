"""What a run leaves: the flat record (``record``, ``metrics``, ``provenance``), the store (``store``), selection (``select``), versions of rows (``versions``) and exports (``export``)."""
