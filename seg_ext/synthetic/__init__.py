from .crf_problem import make_crf_problem
from .levir_cd import make_pair, write_levir_dataset
from .tgs_salt import make_sample, ricker, salt_mask, seismic_section, write_tgs_dataset

__all__ = ['make_sample', 'ricker', 'salt_mask', 'seismic_section', 'write_tgs_dataset',
           'make_pair', 'write_levir_dataset', 'make_crf_problem']
