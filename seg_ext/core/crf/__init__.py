"""Dense and grid CRFs and the math behind them (PyTorch; pydensecrf2 as the exact reference)."""
from .dense_crf import DenseCRF
from .grid_crf import GridCRF
from .mean_field import mean_field, mean_field_energy, normalized_filter, pixel_features
from .permutohedral import Lattice, build_lattice, lattice_filter
from .pydensecrf_backend import pydensecrf_available, pydensecrf_inference
from .refine import class_probabilities, labels_from_probabilities, refine_probabilities

__all__ = [
    'DenseCRF', 'GridCRF', 'Lattice', 'build_lattice', 'lattice_filter', 'mean_field',
    'mean_field_energy', 'normalized_filter', 'pixel_features', 'pydensecrf_available',
    'pydensecrf_inference', 'class_probabilities', 'labels_from_probabilities',
    'refine_probabilities'
]
