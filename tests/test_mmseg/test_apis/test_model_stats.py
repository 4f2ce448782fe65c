from mmengine.config import Config

from seg_ext.mmseg.apis.model_stats import build_eval_model, complexity, inference_throughput

from conftest import repo_path


def test_complexity_traces_segnet_indices_and_counts_flops():
    cfg = Config.fromfile(repo_path('configs', 'segnet_salt_demo.py'))
    cfg.model.backbone.base_channels = 8
    cfg.model.decode_head.encoder_channels = (8, 16, 32, 64, 64)
    cfg.model.decode_head.channels = 8
    model = build_eval_model(cfg)
    stats = complexity(model, (1, 64, 64))
    params = sum(p.numel() for p in model.parameters())
    assert stats['params'] == params
    # conv FLOPs dominate: the first 3x3 conv alone is 64*64*8*1*9 multiply-adds
    assert stats['flops'] > 64 * 64 * 8 * 9
    speed = inference_throughput(model, (1, 64, 64), batch_size=2, iters=2, warmup=1,
                                 ori_shape=(60, 60))
    assert speed['img_per_s'] > 0 and speed['ms_per_img'] > 0
