# tgs_salt.py on the generated demo data
# (python tools/misc/make_demo_data.py tgs data/tgs_salt_demo)
_base_ = './tgs_salt.py'
data_root = 'data/tgs_salt_demo'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = dict(dataset=dict(data_root=data_root))
