"""The SegNet segmentor: an EncoderDecoder whose wiring is checked when it is built."""
from mmseg.models.segmentors import EncoderDecoder
from mmseg.registry import MODELS


@MODELS.register_module()
class SegNet(EncoderDecoder):
    """``EncoderDecoder`` for decoders that unpool with the encoder's pooling indices.

    Identical to ``EncoderDecoder`` at run time; at build time it refuses a backbone that returns no
    indices, a neck (it would drop them), and an encoder with fewer poolings than the decoder
    mirrors, with an error that says so instead of a shape error in the first forward pass.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        backbone = type(self.backbone).__name__
        if not getattr(self.backbone, 'return_indices', False):
            raise ValueError(f'SegNet needs a backbone that returns its max-pooling indices, but '
                             f'{backbone} gives none: use VGG(..., return_indices=True)')
        if self.with_neck:
            raise ValueError('SegNet takes no neck: the pooling indices go straight from the '
                             'backbone to the decode head')
        pools = getattr(self.backbone, 'num_stages', None)
        stages = getattr(self.decode_head, 'num_stages', None)
        if pools is not None and stages is not None and stages > pools:
            raise ValueError(f'the decode head mirrors {stages} encoder stages but {backbone} '
                             f'has only {pools}')
