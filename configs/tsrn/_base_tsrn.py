# TSRN (TextZoom, ECCV'20) with the STN and the mask channel.
model = dict(
    type='TSRN',
    in_channels=4,
    scale_factor=2,
    lr_hw=(16, 64),
    num_blocks=5,
    hidden_channels=64,
    use_stn=True,
    loss=dict(
        type='TextImageLoss',
        mse_weight=1.,
        gradient_weight=1e-4,
        loss_weight=100.),
    data_preprocessor=dict(type='TextSRDataPreprocessor'))
