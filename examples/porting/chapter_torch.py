"""The d2l "Image Augmentation" and "Fine-Tuning" chapters' pipelines, PyTorch tab.

Read by ``augspec import`` / ``augspec diff`` (docs/porting.md), never imported or run by augspec.
"""

import torchvision

# Image Augmentation: the examples, then the combined pipeline.
shape_aug = torchvision.transforms.RandomResizedCrop((200, 200), scale=(0.1, 1), ratio=(0.5, 2))
color_aug = torchvision.transforms.ColorJitter(
    brightness=0.5, contrast=0.5, saturation=0.5, hue=0.5
)
augs = torchvision.transforms.Compose(
    [torchvision.transforms.RandomHorizontalFlip(), color_aug, shape_aug]
)

# Training with augmentation (CIFAR-10).
train_augs = torchvision.transforms.Compose(
    [torchvision.transforms.RandomHorizontalFlip(), torchvision.transforms.ToTensor()]
)
test_augs = torchvision.transforms.Compose([torchvision.transforms.ToTensor()])

# Fine-Tuning (hot dogs): ImageNet normalisation; torchvision writes the square as [256, 256].
normalize = torchvision.transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
finetune_train_augs = torchvision.transforms.Compose(
    [
        torchvision.transforms.RandomResizedCrop(224),
        torchvision.transforms.RandomHorizontalFlip(),
        torchvision.transforms.ToTensor(),
        normalize,
    ]
)
finetune_test_augs = torchvision.transforms.Compose(
    [
        torchvision.transforms.Resize([256, 256]),
        torchvision.transforms.CenterCrop(224),
        torchvision.transforms.ToTensor(),
        normalize,
    ]
)
