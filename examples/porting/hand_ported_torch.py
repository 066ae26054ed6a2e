"""A hand port of chapter_gluon.py to torchvision, with two slips a port by hand makes.

Read by ``augspec diff`` (docs/porting.md), never imported or run by augspec.
"""

import torchvision

normalize = torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
# Slip 1: the flip was dropped.
train_augs = torchvision.transforms.Compose([torchvision.transforms.ToTensor()])
# Slip 2: Gluon's Resize(256) copied as is (torchvision's resizes the shorter side).
finetune_test_augs = torchvision.transforms.Compose(
    [
        torchvision.transforms.Resize(256),
        torchvision.transforms.CenterCrop(224),
        torchvision.transforms.ToTensor(),
        normalize,
    ]
)
