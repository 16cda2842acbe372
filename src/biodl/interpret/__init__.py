"""Interpretation: attribution maps, their quality checks, mutagenesis and motifs.

``attribute(model, X, *, method=..., target=0)`` gives an :class:`Attribution`
(``(N, C, L)`` values, convergence delta where defined) by saliency, input x gradient,
integrated gradients, DeepLIFT / DeepSHAP (biodl's own, exact on max-pooling and
recurrent models), LIME, KernelSHAP, in-silico mutagenesis or attention; each method
is also a function of its own. :mod:`biodl.interpret.checks` checks the maps
(completeness, model randomisation, agreement between methods).
:func:`ism` is fast in-silico mutagenesis; :mod:`biodl.interpret.motifs`,
:mod:`biodl.interpret.jaspar` and :mod:`biodl.interpret.logos` turn filters and
attributions into motifs, match them to JASPAR and draw logos.
:func:`atom_attributions` explains graph models of molecules atom by atom
(:mod:`biodl.interpret.molecules`).
"""

from __future__ import annotations

from biodl.interpret.attribution import (
    METHODS,
    Attribution,
    Method,
    ReferenceKind,
    attention,
    attribute,
    deeplift,
    deepshap,
    input_x_gradient,
    integrated_gradients,
    kernel_shap,
    lime,
    make_references,
    saliency,
)
from biodl.interpret.checks import (
    AttributionCheckError,
    AttributionWarning,
    CompletenessReport,
    agreement,
    check_completeness,
    randomisation_check,
    rank_correlation,
    reinitialised,
)
from biodl.interpret.ism import ism
from biodl.interpret.jaspar import MotifMatch, jaspar_motifs, match_motifs, write_motif_table
from biodl.interpret.logos import plot_logo
from biodl.interpret.molecules import (
    AtomAttributions,
    atom_attributions,
    atom_scores,
    draw_atom_attributions,
)
from biodl.interpret.motifs import (
    Motif,
    Seqlet,
    filter_motifs,
    modisco,
    read_meme,
    seqlet_motif,
    seqlets,
    write_meme,
)

__all__ = [
    "METHODS",
    "AtomAttributions",
    "Attribution",
    "AttributionCheckError",
    "AttributionWarning",
    "CompletenessReport",
    "Method",
    "Motif",
    "MotifMatch",
    "ReferenceKind",
    "Seqlet",
    "agreement",
    "atom_attributions",
    "atom_scores",
    "attention",
    "attribute",
    "check_completeness",
    "deeplift",
    "deepshap",
    "draw_atom_attributions",
    "filter_motifs",
    "input_x_gradient",
    "integrated_gradients",
    "ism",
    "jaspar_motifs",
    "kernel_shap",
    "lime",
    "make_references",
    "match_motifs",
    "modisco",
    "plot_logo",
    "randomisation_check",
    "rank_correlation",
    "read_meme",
    "reinitialised",
    "saliency",
    "seqlet_motif",
    "seqlets",
    "write_meme",
    "write_motif_table",
]
