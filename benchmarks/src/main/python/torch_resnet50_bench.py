#!/usr/bin/python3
"""Times torchvision's ResNet-50 as ResNet50Benchmark times ours; prints one JSON object.

Usage: /usr/bin/python3 torch_resnet50_bench.py MODE SIZE BATCH WARMUP REPEATS THREADS
  MODE    infer (model.eval(), no_grad forward) or train (model.train(), forward, cross-entropy,
          backward, Adam(lr 1e-5, weight_decay 1e-5) step)
Output: {"mode":..., "size":..., "batch":..., "threads":..., "seconds":[...], "torch": "<version>"}
"""
import json
import sys

import torch
import torchvision

from torch_backends_bench import timed, training_step


def main(mode, size, batch, warmup, repeats, threads):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=2)
    x = torch.randn(batch, 3, size, size)
    y = torch.randint(0, 2, (batch,))
    if mode == 'infer':
        model.eval()

        def step():
            with torch.no_grad():
                model(x)
    else:
        step = training_step(model, x, y)
    seconds = timed(step, warmup, repeats)
    print(json.dumps({'mode': mode, 'size': size, 'batch': batch, 'threads': threads,
                      'seconds': seconds, 'torch': torch.__version__}))


if __name__ == '__main__':
    a = sys.argv[1:]
    main(a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]), int(a[5]))
