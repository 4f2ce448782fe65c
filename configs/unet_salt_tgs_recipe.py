# unet_salt.py with the TGS Salt recipe switched on (UNetHead options, see its docstring): scSE
# attention in every decoder block, a hypercolumn before the classifier, deep supervision on the
# four inner decoder scales, and the empty-mask branch that zeroes the masks of images it finds
# empty (~40 % of TGS images; one false pixel there scores 0). The loss stays the base's
# BCE + 0.5 x Lovasz hinge (per image), which the leaderboard write-ups found better than BCE
# alone. Validation logs the loss (ValLossLoop); training stops when mIoU has not improved for 5
# validations and the best checkpoint is kept.
#   python tools/train.py configs/unet_salt_tgs_recipe.py
_base_ = './unet_salt.py'
model = dict(
    decode_head=dict(
        scse=True,
        hypercolumn=True,
        deep_supervision=dict(weights=[0.1, 0.1, 0.1, 0.1]),
        empty_branch=dict(loss_weight=0.05, threshold=0.5)))
val_cfg = dict(type='ValLossLoop')
default_hooks = dict(checkpoint=dict(save_best='mIoU', rule='greater'))
custom_hooks = [
    dict(type='InferenceStatsHook'),
    dict(type='EarlyStoppingHook', monitor='mIoU', rule='greater', patience=5),
]
