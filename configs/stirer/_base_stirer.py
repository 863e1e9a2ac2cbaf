# STIRER (ACM MM'23): the release architecture and the official losses.
# Weights in the official layout (the authors' plain state dict) load into
# the network: model.generator.init_cfg = dict(type='StrictPretrained',
# checkpoint=...), checked key by key.
model = dict(type='STIRER',
             generator=dict(type='STIRERNet',
                            in_chans=4,
                            img_size=(16, 64),
                            upscale=2,
                            window_size=(16, 2),
                            depths=(4, 5, 6),
                            embed_dim=48,
                            num_heads=(6, 6, 6),
                            mlp_ratio=2.,
                            drop_path_rate=0.1),
             img_loss=dict(type='TextImageLoss',
                           mse_weight=20.,
                           gradient_weight=1e-2),
             alpha=0.5,
             ar_eos_min_length=15,
             data_preprocessor=dict(type='TextSRDataPreprocessor'))
