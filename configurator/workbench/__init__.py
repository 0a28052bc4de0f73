"""The catalog editor's workbench: analyses above the rules engine and the pricing engine.

- :mod:`~configurator.workbench.lint`: anomalies ``catalog validate`` does not catch;
- :mod:`~configurator.workbench.diff`: what changed between two catalog trees, with exact
  counts of the configurations gained and lost, and the effect on a file of orders;
- :mod:`~configurator.workbench.cases`: golden cases kept beside the catalogs.
"""
