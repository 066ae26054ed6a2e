"""The d2l "Image Augmentation" and "Fine-Tuning" chapters' pipelines, MXNet Gluon tab.

Read by ``augspec import`` / ``augspec port`` (docs/porting.md), never imported or run by augspec.
"""

from mxnet import gluon

# Image Augmentation: the examples, then the combined pipeline.
shape_aug = gluon.data.vision.transforms.RandomResizedCrop(
    (200, 200), scale=(0.1, 1), ratio=(0.5, 2)
)
color_aug = gluon.data.vision.transforms.RandomColorJitter(
    brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5
)
augs = gluon.data.vision.transforms.Compose(
    [gluon.data.vision.transforms.RandomFlipLeftRight(), color_aug, shape_aug]
)

# Training with augmentation (CIFAR-10).
train_augs = gluon.data.vision.transforms.Compose(
    [gluon.data.vision.transforms.RandomFlipLeftRight(), gluon.data.vision.transforms.ToTensor()]
)
test_augs = gluon.data.vision.transforms.Compose([gluon.data.vision.transforms.ToTensor()])

# Fine-Tuning (hot dogs): ImageNet normalisation, Gluon's Resize(256) is a 256x256 square.
normalize = gluon.data.vision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
finetune_train_augs = gluon.data.vision.transforms.Compose(
    [
        gluon.data.vision.transforms.RandomResizedCrop(224),
        gluon.data.vision.transforms.RandomFlipLeftRight(),
        gluon.data.vision.transforms.ToTensor(),
        normalize,
    ]
)
finetune_test_augs = gluon.data.vision.transforms.Compose(
    [
        gluon.data.vision.transforms.Resize(256),
        gluon.data.vision.transforms.CenterCrop(224),
        gluon.data.vision.transforms.ToTensor(),
        normalize,
    ]
)
