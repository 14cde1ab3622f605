#!/usr/bin/python3
"""PyTorch side of InferenceBackendBenchmark: torchvision's ResNet-50, one step per request, so that the
benchmark interleaves PyTorch round by round with its JVM engines; also exports the model to ONNX.

Usage: /usr/bin/python3 torch_backends_bench.py THREADS ONNX_OUT
  ONNX_OUT  where torch.onnx.export writes the same (eval-mode) model, opset 13, dynamic batch and
            size, for the "ONNX Runtime on torchvision's export" column; '-' to skip
Prints {"ready": true, "torch": VERSION}, then reads one MODE:SIZE:BATCH per line from stdin, runs that
step once and prints {"seconds": S}; ends at the end of input.
  MODE      infer (eval, no_grad forward) or train (train mode, forward, cross-entropy, backward,
            Adam(lr 1e-5, weight_decay 1e-5) step); input and labels are made on a case's first request
"""
import json
import sys
import time

import torch
import torchvision


def timed(step, warmup, repeats):
    """Seconds of each of `repeats` calls of `step` after `warmup` untimed ones (the other scripts' timer)."""
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
    opt = torch.optim.Adam(model.parameters(), lr=1e-5, betas=(0.9, 0.999), weight_decay=1e-5)
    loss_fn = torch.nn.CrossEntropyLoss()

    def step():
        model.train()
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()
    return step


def inference_step(model, x):
    def step():
        model.eval()
        with torch.no_grad():
            model(x)
    return step


def main(threads, onnx_out):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=2)
    if onnx_out != '-':
        model.eval()
        torch.onnx.export(model, torch.randn(1, 3, 224, 224), onnx_out, opset_version=13,
                          input_names=['input'], output_names=['output'],
                          dynamic_axes={'input': {0: 'batch', 2: 'height', 3: 'width'},
                                        'output': {0: 'batch'}})
    print(json.dumps({'ready': True, 'torch': torch.__version__}), flush=True)
    steps = {}
    for line in sys.stdin:
        case = line.strip()
        if not case:
            continue
        if case not in steps:
            mode, size, batch = case.split(':')
            x = torch.randn(int(batch), 3, int(size), int(size))
            if mode == 'infer':
                steps[case] = inference_step(model, x)
            elif mode == 'train':
                steps[case] = training_step(model, x, torch.randint(0, 2, (int(batch),)))
            else:
                raise SystemExit('unknown mode ' + mode)
        t0 = time.perf_counter()
        steps[case]()
        print(json.dumps({'seconds': time.perf_counter() - t0}), flush=True)


if __name__ == '__main__':
    main(int(sys.argv[1]), sys.argv[2])
