"""e-citizen watch: link monitoring and news aggregation for the Omsk libraries' e-citizen programme.

The ``ecitizen`` package is the shared core: configuration, errors, storage models, the item
pipeline, and the outer shell (CLI, web, scheduler). The domain packages ``feeds``, ``archive``,
``crawler`` and ``digest`` import the core; the core's model and pipeline modules never import a
domain package (see docs/ARCHITECTURE.md).
"""

__version__ = "0.2.6"
