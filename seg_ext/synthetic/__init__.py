from .tgs_salt import make_sample, ricker, salt_mask, seismic_section, write_tgs_dataset

__all__ = ['make_sample', 'ricker', 'salt_mask', 'seismic_section', 'write_tgs_dataset']
