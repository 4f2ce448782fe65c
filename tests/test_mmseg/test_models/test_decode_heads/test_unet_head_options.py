"""UNetHead's TGS recipe options: scSE, hypercolumn, deep supervision, the empty-mask gate."""
import pytest
import torch
from mmengine.config import Config, ConfigDict
from mmengine.structures import PixelData
from mmseg.registry import MODELS
from mmseg.structures import SegDataSample

from seg_ext.mmseg.models.decode_heads.unet_head import GATED_LOGIT, UNetHead, gate_empty

from conftest import repo_path

ALL = dict(scse=True, hypercolumn=True, deep_supervision=dict(weights=[0.4, 0.3]),
           empty_branch=dict(loss_weight=0.2, threshold=0.5))
# state_dict keys of main's UNetHead (before the options existed) for small_head(): the options
# off must keep exactly these names so older checkpoints load
MAIN_KEYS = sorted(
    ['conv_seg.weight', 'conv_seg.bias']
    + [f'blocks.{b}.{layer}.{m}' for b in range(3)
       for layer in ('up', 'convs.0', 'convs.1') for m in (
           'conv.weight', 'bn.weight', 'bn.bias', 'bn.running_mean', 'bn.running_var',
           'bn.num_batches_tracked')])


def small_head(out_channels=1, **options):
    return UNetHead(in_channels=[8, 16, 32], in_index=[0, 1, 2], channels=8,
                    decoder_channels=[16, 8, 8], extra_upsamples=1, num_classes=2,
                    out_channels=out_channels, threshold=0.5 if out_channels == 1 else None,
                    norm_cfg=dict(type='BN'),
                    loss_decode=dict(type='CrossEntropyLoss', use_sigmoid=out_channels == 1),
                    **options)


def feats(n=2):
    torch.manual_seed(0)
    return [torch.randn(n, 8, 16, 16), torch.randn(n, 16, 8, 8), torch.randn(n, 32, 4, 4)]


def samples(masks):
    out = []
    for m in masks:
        s = SegDataSample()
        s.gt_sem_seg = PixelData(data=m[None].long())
        s.set_metainfo(dict(img_shape=tuple(m.shape), pad_shape=tuple(m.shape)))
        out.append(s)
    return out


def test_options_off_keep_main_parameter_names():
    head = small_head()
    assert sorted(head.state_dict()) == MAIN_KEYS
    assert not head.aux_weights and head.empty_cfg is None


@pytest.mark.parametrize('out_channels', [1, 2])
@pytest.mark.parametrize('option', ['scse', 'hypercolumn', 'deep_supervision', 'empty_branch',
                                    'all'])
def test_shapes_and_gradients_reach_every_branch(out_channels, option):
    torch.manual_seed(0)  # a random init can leave a ReLU unit dead on this tiny input
    options = ALL if option == 'all' else {option: ALL[option]}
    head = small_head(out_channels, **options).train()
    x = feats()
    assert head(x).shape == (2, out_channels, 32, 32)
    masks = [torch.zeros(32, 32), (torch.rand(32, 32) > 0.5).float()]
    losses = head.loss(x, samples(masks), None)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    for name, p in head.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name
    names = set(n.split('.')[0] for n, _ in head.named_parameters())
    expected = {'conv_seg', 'blocks'} | {
        'hypercolumn_fuse' if 'hypercolumn' in options else None,
        'aux_segs' if 'deep_supervision' in options else None,
        'empty_cls' if 'empty_branch' in options else None} - {None}
    assert names == expected
    assert any('.scse.' in n for n, _ in head.named_parameters()) == ('scse' in options)


def test_deep_supervision_losses_are_weighted_aux_losses():
    head = small_head(1, deep_supervision=dict(weights=[0.5, 2.0])).train()
    x = feats()
    s = samples([torch.zeros(32, 32), torch.ones(32, 32)])
    losses = head.loss(x, s, None)
    assert sorted(losses) == ['acc_seg', 'aux0.loss_ce', 'aux1.loss_ce', 'loss_ce']
    _, outs, _ = head._decode(x)
    for i, w in enumerate([0.5, 2.0]):
        ref = head.loss_by_feat(head.aux_segs[i](outs[i]), s)['loss_ce'] * w
        assert torch.allclose(losses[f'aux{i}.loss_ce'], ref)
    with pytest.raises(ValueError, match='one per decoder block but the last'):
        small_head(1, deep_supervision=dict(weights=[1.0]))


def test_empty_branch_target_loss_and_gate():
    head = small_head(1, empty_branch=dict(loss_weight=0.5, threshold=0.6))
    ignore_only = torch.full((32, 32), 255.)
    s = samples([torch.zeros(32, 32), ignore_only, torch.eye(32)])
    assert head.nonempty_targets(s).tolist() == [0., 0., 1.]
    torch.nn.init.zeros_(head.empty_cls.weight)
    # not-empty logit -log(7/3): empty probability 0.7 for every image
    torch.nn.init.constant_(head.empty_cls.bias, -float(torch.log(torch.tensor(7 / 3))))
    x = feats(3)
    loss = head.train().loss(x, s, None)['loss_empty']
    p = torch.tensor(0.3)
    assert torch.allclose(loss, 0.5 * -(2 * torch.log(1 - p) + torch.log(p)) / 3, atol=1e-6)
    head.eval()
    raw, p_empty = head.forward_with_empty(x)
    assert torch.allclose(p_empty, torch.full((3, ), 0.7))
    assert (head(x) == -GATED_LOGIT).all()  # 0.7 >= 0.6: every mask zeroed
    head.empty_cfg['threshold'] = 0.8
    assert torch.equal(head(x), raw)  # 0.7 < 0.8: untouched
    with pytest.raises(ValueError, match='loss_weight and threshold'):
        small_head(1, empty_branch=dict(thresh=0.5))


def test_gate_sets_softmax_images_to_background():
    logits = torch.randn(3, 4, 5, 5)
    out = gate_empty(logits, torch.tensor([False, True, False]))
    assert torch.equal(out[[0, 2]], logits[[0, 2]])
    assert (out[1].argmax(0) == 0).all() and (out[1, 1:] == -GATED_LOGIT).all()


@pytest.mark.parametrize('base', ['siamese_unet_r18.py', 'early_fusion_unet_r18.py'])
def test_change_models_with_all_options(base):
    cfg = Config.fromfile(repo_path('configs', '_base_', 'models', base))
    model_cfg = ConfigDict(cfg.model)
    model_cfg.backbone.norm_cfg = model_cfg.decode_head.norm_cfg = dict(type='BN')
    model_cfg.decode_head.update(
        ALL, deep_supervision=dict(weights=[0.1, 0.1, 0.1, 0.1]))
    model = MODELS.build(model_cfg).train()
    x = torch.randn(2, 6, 32, 32)
    s = samples([torch.zeros(32, 32), (torch.rand(32, 32) > 0.8).float()])
    losses = model.loss(x, s)
    assert {'decode.aux3.loss_ce', 'decode.loss_empty', 'decode.loss_lovasz'} <= set(losses)
    sum(v for k, v in losses.items() if 'loss' in k).backward()
    assert model.decode_head.empty_cls.weight.grad.abs().sum() > 0
    model.eval()
    for d in s:
        d.set_metainfo(dict(ori_shape=(32, 32)))
    with torch.no_grad():
        out = model.predict(x, s)
    assert out[0].pred_sem_seg.data.shape == (1, 32, 32)
