#!/usr/bin/python3
"""Times torchvision's ResNet-50 as ResNet50Benchmark times ours; prints one JSON object.

Usage: /usr/bin/python3 torch_resnet50_bench.py MODE SIZE BATCH WARMUP REPEATS THREADS
  MODE    infer (model.eval(), no_grad forward) or train (model.train(), forward, cross-entropy,
          backward, Adam(lr 1e-5, weight_decay 1e-5) step)
Output: {"mode":..., "size":..., "batch":..., "threads":..., "seconds":[...], "torch": "<version>"}
"""
import json
import sys
import time

import torch
import torchvision


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
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-5)
        loss_fn = torch.nn.CrossEntropyLoss()

        def step():
            opt.zero_grad()
            loss_fn(model(x), y).backward()
            opt.step()
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    print(json.dumps({'mode': mode, 'size': size, 'batch': batch, 'threads': threads,
                      'seconds': seconds, 'torch': torch.__version__}))


if __name__ == '__main__':
    a = sys.argv[1:]
    main(a[0], int(a[1]), int(a[2]), int(a[3]), int(a[4]), int(a[5]))
