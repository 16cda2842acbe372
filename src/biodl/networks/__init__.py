"""Networks: gene-regulatory network inference from expression and deep fusion of
interaction networks.

- :mod:`biodl.networks.grn`: ranked regulator -> target edges from an expression matrix
  (a GENIE3-style tree ensemble, a neural per-target regressor, their rank ensemble).
- :mod:`biodl.networks.dream`: scoring a ranked edge list against a gold standard the way
  DREAM does (AUPR, AUROC, self-edges excluded).
- :mod:`biodl.networks.fusion`: a deepNF-style multimodal denoising autoencoder over
  random-walk + PPMI matrices, one embedding per gene.
- :mod:`biodl.networks.function`: supervised function / complex prediction from gene
  features on held-out genes.

The layer sits beside :mod:`biodl.train` (layer 8): it uses ``io``, ``encode``,
``metrics`` and ``progress`` and trains its own small models (the zoo's supervised
training stays in :mod:`biodl.train`).
"""
