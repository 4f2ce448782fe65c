"""The Predictor protocol, the ensemble, and MMSegPredictor against mmseg's inference_model."""
import numpy as np
import pytest
from helpers.salt_checkpoint import build_salt_model, save_checkpoint

from seg_ext.core.errors import ConfigError
from seg_ext.mmseg.apis.mmseg_predictor import MMSegPredictor, inference_pipeline
from seg_ext.mmseg.apis.predictors import EnsemblePredictor, Predictor

from conftest import repo_path


class ConstantPredictor:
    """The smallest Predictor: the same probabilities for every pixel."""

    def __init__(self, probs, name='const'):
        self.probs = np.asarray(probs, np.float32)
        self.num_classes = len(probs)
        self.classes = tuple(str(i) for i in range(self.num_classes))
        self.threshold = None
        self.name = name
        self.color_type = 'grayscale'

    def predict_probs(self, images):
        return [np.broadcast_to(self.probs[:, None, None], (self.num_classes,) + im.shape[:2])
                .copy() for im in images]


def test_ensemble_averages_and_refuses_other_classes():
    a, b = ConstantPredictor([0.2, 0.8], 'a.pth'), ConstantPredictor([0.6, 0.4], 'b.pth')
    assert isinstance(a, Predictor)
    ens = EnsemblePredictor([a, b])
    out = ens.predict_probs([np.zeros((3, 4), np.uint8)])
    assert out[0].shape == (2, 3, 4) and np.allclose(out[0][:, 0, 0], [0.4, 0.6])
    same = EnsemblePredictor([a, a]).predict_probs([np.zeros((2, 2))])[0]
    assert np.array_equal(same, a.predict_probs([np.zeros((2, 2))])[0])
    with pytest.raises(ConfigError, match=r'c.pth: predicts 3 classes but a.pth predicts 2'):
        EnsemblePredictor([a, ConstantPredictor([0.1, 0.2, 0.7], 'c.pth')])


def test_inference_pipeline_swaps_the_loader_and_drops_annotations():
    pipe = [dict(type='LoadImageFromFile', color_type='grayscale'), dict(type='ReflectPad'),
            dict(type='LoadBinaryAnnotations'), dict(type='PackSegInputs')]
    out = inference_pipeline(pipe)
    assert [t['type'] for t in out] == ['LoadImageFromNDArray', 'ReflectPad', 'PackSegInputs']
    assert out[0]['color_type'] == 'grayscale' and pipe[0]['type'] == 'LoadImageFromFile'


def test_mmseg_predictor_matches_inference_model(tgs_root, tmp_path):
    from mmseg.apis import inference_model, init_model

    ckpt = save_checkpoint(build_salt_model(), str(tmp_path / 'm.pth'))
    cfg = repo_path('configs', 'unet_salt_demo.py')
    pred = MMSegPredictor(cfg, ckpt)
    assert pred.num_classes == 2 and pred.threshold == 0.5 and pred.color_type == 'grayscale'
    assert pred.classes == ('background', 'salt')
    rng = np.random.default_rng(0)
    imgs = [rng.integers(0, 255, (101, 101)).astype(np.uint8) for _ in range(2)]
    imgs.append(rng.integers(0, 255, (90, 97)).astype(np.uint8))  # another size, another batch
    probs = pred.predict_probs(imgs)
    model = init_model(cfg, ckpt, device='cpu')
    for img, p in zip(imgs, probs):
        ref = inference_model(model, img)
        assert p.shape == (2, ) + img.shape and p.dtype == np.float32
        assert np.allclose(p[1], ref.seg_logits.data[0].numpy(), atol=1e-6)
        assert np.array_equal((p[1] > 0.5).astype(np.int64),
                              ref.pred_sem_seg.data[0].numpy().astype(np.int64))
    tta = MMSegPredictor(cfg, ckpt, tta=True)
    assert tta.model.flips == ('horizontal', )
    assert not np.allclose(tta.predict_probs(imgs[:1])[0], probs[0])
