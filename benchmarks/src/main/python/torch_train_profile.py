#!/usr/bin/python3
"""PyTorch side of TrainingStepProfile: where one ResNet-50 training step spends its CPU time.

Usage: /usr/bin/python3 torch_train_profile.py THREADS SIZE BATCH WARMUP STEPS

The step is InferenceBackendBenchmark's: torchvision resnet50(num_classes=2) in train mode, forward,
cross-entropy, backward, Adam(lr 1e-5, weight_decay 1e-5) step. It is timed unprofiled (STEPS steps
after WARMUP), then STEPS steps run under torch.profiler (CPU). Each profiled event is put in the
category of its outermost ancestor that has one (so the adds inside Adam count as optimizer, the
convolution inside autograd's ConvolutionBackward0 as convolution backward), and each category gets
the summed CPU time of those outermost events, per step.

Prints one JSON object: {"torch", "threads", "size", "batch", "seconds": [...],
"categories": {name: {"ms": per-step ms, "calls": per-step calls}}, "profiled_ms": per-step ms}.
"""
import json
import sys
import time

import torch
import torchvision
from torch.profiler import ProfilerActivity, profile

from torch_backends_bench import timed, training_step

# (category, predicate on the event name); the first match wins
CATEGORIES = [
    ('optimizer (Adam, weight decay, zero_grad)', lambda n: n.startswith('Optimizer.')),
    ('convolution backward', lambda n: n in ('aten::convolution_backward', 'aten::mkldnn_convolution_backward')),
    ('convolution forward', lambda n: n in ('aten::convolution', 'aten::_convolution', 'aten::mkldnn_convolution')),
    ('BatchNorm backward', lambda n: n in ('aten::native_batch_norm_backward', 'aten::batch_norm_backward')),
    ('BatchNorm forward', lambda n: n in ('aten::batch_norm', 'aten::_batch_norm_impl_index',
                                          'aten::native_batch_norm')),
    ('ReLU forward and backward', lambda n: n in ('aten::relu', 'aten::relu_', 'aten::threshold_backward')),
    ('pooling forward and backward', lambda n: n in (
        'aten::max_pool2d', 'aten::max_pool2d_with_indices', 'aten::max_pool2d_with_indices_backward',
        'aten::adaptive_avg_pool2d', 'aten::mean', 'aten::_adaptive_avg_pool2d_backward')),
    ('residual adds', lambda n: n in ('aten::add', 'aten::add_')),
    ('head and loss (fc, softmax, cross-entropy)', lambda n: n in (
        'aten::linear', 'aten::addmm', 'aten::mm', 'aten::cross_entropy_loss', 'aten::log_softmax',
        'aten::_log_softmax', 'aten::nll_loss_nd', 'aten::_log_softmax_backward_data',
        'aten::nll_loss_backward', 'aten::t', 'aten::sum')),
]


def category(name):
    for cat, matches in CATEGORIES:
        if matches(name):
            return cat
    return None


def main(threads, size, batch, warmup, steps):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = torchvision.models.resnet50(num_classes=2)
    x = torch.randn(batch, 3, size, size)
    step = training_step(model, x, torch.randint(0, 2, (batch,)))
    seconds = timed(step, warmup, steps)

    with profile(activities=[ProfilerActivity.CPU]) as prof:
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        profiled = time.perf_counter() - t0

    totals = {}
    for event in prof.events():
        own = category(event.name)
        if own is None:
            continue
        # count only the outermost categorised event of each subtree
        parent = event.cpu_parent
        nested = False
        while parent is not None:
            if category(parent.name) is not None:
                nested = True
                break
            parent = parent.cpu_parent
        if nested:
            continue
        ms, calls = totals.get(own, (0.0, 0))
        totals[own] = (ms + event.cpu_time_total / 1000.0, calls + 1)
    print(json.dumps({
        'torch': torch.__version__, 'threads': threads, 'size': size, 'batch': batch, 'seconds': seconds,
        'profiled_ms': profiled * 1000.0 / steps,
        'categories': {k: {'ms': v[0] / steps, 'calls': v[1] / steps} for k, v in totals.items()},
    }), flush=True)


if __name__ == '__main__':
    if len(sys.argv) != 6:
        raise SystemExit(__doc__)
    main(*(int(a) for a in sys.argv[1:6]))
