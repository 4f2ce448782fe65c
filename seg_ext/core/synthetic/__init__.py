"""Generators of realistic synthetic data in the real on-disk formats (TGS Salt, LEVIR-CD, COCO)."""
from .crf_problem import make_crf_problem
from .levir_cd import make_pair, write_levir_dataset
from .shapes import write_shapes_dataset
from .tgs_salt import make_sample, ricker, salt_mask, seismic_section, write_tgs_dataset

__all__ = ['make_sample', 'ricker', 'salt_mask', 'seismic_section', 'write_tgs_dataset',
           'make_pair', 'write_levir_dataset', 'make_crf_problem', 'write_shapes_dataset']
