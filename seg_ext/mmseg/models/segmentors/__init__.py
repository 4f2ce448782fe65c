from .crf_refiner import CRFRefiner, original_image
from .prob_tta import SegProbTTAModel, logits_at_original_size, logits_to_probs
from .segnet import SegNet
from .siamese_encoder_decoder import SiameseEncoderDecoder, fuse_features

__all__ = [
    'SegNet', 'SiameseEncoderDecoder', 'fuse_features', 'CRFRefiner', 'original_image',
    'SegProbTTAModel', 'logits_at_original_size', 'logits_to_probs'
]
