"""UVL (the Universal Variability Language) in and out: parse a feature model with positions
(:mod:`configurator.uvl.parse`), turn it into a catalog tree (:mod:`configurator.uvl.convert`),
and write a catalog back as UVL (:mod:`configurator.uvl.export`). Feature names map to option
codes by a reversible mapping (:mod:`configurator.uvl.codes`)."""
