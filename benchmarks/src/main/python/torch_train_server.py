#!/usr/bin/python3
"""PyTorch side of TrainingStepBenchmark: one training step per request.

Usage: /usr/bin/python3 torch_train_server.py THREADS SIZE BATCH [resnet50|unet]
resnet50 (the default): torchvision's resnet50(num_classes=2), the step of torch_backends_bench.training_step
(train mode, forward, cross-entropy, backward, Adam(lr 1e-5, weight_decay 1e-5)). unet: the mirror of fundus4j's
UNet.resnet50Encoder (torchvision's ResNet-50 as encoder; decoder of 5 levels with 256, 128, 64, 32, 16
channels, each nearest x2 upsampling, a 3x3 convolution with bias and ReLU, concatenation with the encoder
output at strides 16, 8, 4, 2, and two 3x3 conv-BatchNorm-ReLU; a 1x1 head), sigmoid and soft Dice loss
(smoothing 1) on a random mask, the same Adam. Prints one JSON line {"ready", "torch"}, then for every line
"step" on standard input runs one step and prints its wall-clock seconds. Ends at EOF.
"""
import json
import os
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_backends_bench import training_step  # noqa: E402


class UNetResNet50(torch.nn.Module):
    """fundus4j's UNet.resnet50Encoder in PyTorch (the same layers, channels and order)."""

    def __init__(self):
        super().__init__()
        r = torchvision.models.resnet50()
        self.stem = torch.nn.Sequential(r.conv1, r.bn1, r.relu)
        self.pool = r.maxpool
        self.layers = torch.nn.ModuleList([r.layer1, r.layer2, r.layer3, r.layer4])
        widths = [256, 128, 64, 32, 16]
        skips = [1024, 512, 256, 64, 0]
        self.decoder = torch.nn.ModuleList()
        previous = 2048
        for w, skip in zip(widths, skips):
            self.decoder.append(torch.nn.ModuleDict({
                'upconv': torch.nn.Conv2d(previous, w, 3, padding=1, bias=True),
                'twice': torch.nn.Sequential(
                    torch.nn.Conv2d(w + skip, w, 3, padding=1, bias=False), torch.nn.BatchNorm2d(w, eps=1e-5),
                    torch.nn.ReLU(),
                    torch.nn.Conv2d(w, w, 3, padding=1, bias=False), torch.nn.BatchNorm2d(w, eps=1e-5),
                    torch.nn.ReLU())}))
            previous = w
        self.head = torch.nn.Conv2d(16, 1, 1, bias=True)

    def forward(self, x):
        taps = [self.stem(x)]
        x = self.pool(taps[0])
        for layer in self.layers:
            x = layer(x)
            taps.append(x)
        skips = [taps[3], taps[2], taps[1], taps[0], None]
        x = taps[4]
        for level, skip in zip(self.decoder, skips):
            x = torch.relu(level['upconv'](torch.nn.functional.interpolate(x, scale_factor=2, mode='nearest')))
            if skip is not None:
                x = torch.cat([x, skip], 1)
            x = level['twice'](x)
        return self.head(x)


def dice_step(model, x, mask):
    """Sigmoid, soft Dice loss 1 - (2 sum(p y) + 1) / (sum(p) + sum(y) + 1) per image, mean, backward, Adam."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-5)

    def step():
        model.train()
        opt.zero_grad()
        p = torch.sigmoid(model(x)).flatten(1)
        y = mask.flatten(1)
        loss = (1 - (2 * (p * y).sum(1) + 1) / (p.sum(1) + y.sum(1) + 1)).mean()
        loss.backward()
        opt.step()
    return step


def main(threads, size, batch, kind='resnet50'):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    if kind == 'unet':
        step = dice_step(UNetResNet50(), torch.randn(batch, 3, size, size),
                         (torch.rand(batch, 1, size, size) < 0.1).float())
    elif kind == 'resnet50':
        model = torchvision.models.resnet50(num_classes=2)
        step = training_step(model, torch.randn(batch, 3, size, size), torch.randint(0, 2, (batch,)))
    else:
        raise SystemExit('model is resnet50 or unet, got ' + kind)
    print(json.dumps({'ready': True, 'torch': torch.__version__}), flush=True)
    for line in sys.stdin:
        if line.strip() != 'step':
            raise SystemExit('unknown request ' + line.strip())
        t0 = time.perf_counter()
        step()
        print(json.dumps({'seconds': time.perf_counter() - t0}), flush=True)


if __name__ == '__main__':
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:5])
