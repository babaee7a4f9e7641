"""Glare core: the generic artifact repository service (plugin host, API, engine).

"The contract" in docstrings and comments is the API contract, docs/glare-v1-contract.md:
``§N`` names its sections, ``QN`` its quirk rows (§30), ``§31 #N`` its edge cases.
"""

__version__ = "0.1.0"
