from .crf_refiner import CRFRefiner, original_image
from .segnet import SegNet
from .siamese_encoder_decoder import SiameseEncoderDecoder, fuse_features

__all__ = ['SegNet', 'SiameseEncoderDecoder', 'fuse_features', 'CRFRefiner', 'original_image']
