#!/usr/bin/python3
"""PyTorch side of TrainingStepBenchmark: one torchvision ResNet-50 training step per request.

Usage: /usr/bin/python3 torch_train_server.py THREADS SIZE BATCH
Builds resnet50(num_classes=2) and a random batch, prints one JSON line {"ready", "torch"}, then for every
line "step" on standard input runs the step of torch_backends_bench.training_step (train mode, forward,
cross-entropy, backward, Adam(lr 1e-5, weight_decay 1e-5)) and prints its wall-clock seconds. Ends at EOF.
"""
import json
import os
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_backends_bench import training_step  # noqa: E402


def main(threads, size, batch):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=2)
    step = training_step(model, torch.randn(batch, 3, size, size), torch.randint(0, 2, (batch,)))
    print(json.dumps({'ready': True, 'torch': torch.__version__}), flush=True)
    for line in sys.stdin:
        if line.strip() != 'step':
            raise SystemExit('unknown request ' + line.strip())
        t0 = time.perf_counter()
        step()
        print(json.dumps({'seconds': time.perf_counter() - t0}), flush=True)


if __name__ == '__main__':
    main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))
