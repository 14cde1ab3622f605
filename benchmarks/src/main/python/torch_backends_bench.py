#!/usr/bin/python3
"""PyTorch side of InferenceBackendBenchmark: times torchvision's ResNet-50 and exports it to ONNX.

Usage: /usr/bin/python3 torch_backends_bench.py THREADS WARMUP REPEATS TRAIN_REPEATS ONNX_OUT CASE...
  CASE      MODE:SIZE:BATCH with MODE infer (eval, no_grad forward) or train (train mode, forward,
            cross-entropy, backward, Adam(lr 1e-5, weight_decay 1e-5) step)
  ONNX_OUT  where torch.onnx.export writes the same (eval-mode) model, opset 13, dynamic batch and
            size, for the "ONNX Runtime on torchvision's export" reference column; '-' to skip
Prints one JSON object per line: {"mode", "size", "batch", "threads", "seconds": [...], "torch"}.
"""
import json
import sys
import time

import torch
import torchvision


def timed(step, warmup, repeats):
    for _ in range(warmup):
        step()
    seconds = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        seconds.append(time.perf_counter() - t0)
    return seconds


def training_step(model, x, y):
    """One step as the benchmarks time it: cross-entropy, backward, Adam(lr 1e-5, weight_decay 1e-5)."""
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-5)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def main(threads, warmup, repeats, train_repeats, onnx_out, cases):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=2)
    for case in cases:
        mode, size, batch = case.split(':')
        size, batch = int(size), int(batch)
        x = torch.randn(batch, 3, size, size)
        if mode == 'infer':
            model.eval()

            def step():
                with torch.no_grad():
                    model(x)
            n = repeats
        elif mode == 'train':
            step = training_step(model, x, torch.randint(0, 2, (batch,)))
            n = train_repeats
        else:
            raise SystemExit('unknown mode ' + mode)
        print(json.dumps({'mode': mode, 'size': size, 'batch': batch, 'threads': threads,
                          'seconds': timed(step, warmup, n), 'torch': torch.__version__}), flush=True)
    if onnx_out != '-':
        model.eval()
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), onnx_out, opset_version=13,
                          input_names=['input'], output_names=['output'],
                          dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                                        'output': {0: 'batch'}})
        print(json.dumps({'exported': onnx_out}), flush=True)


if __name__ == '__main__':
    a = sys.argv[1:]
    main(int(a[0]), int(a[1]), int(a[2]), int(a[3]), a[4], a[5:])
