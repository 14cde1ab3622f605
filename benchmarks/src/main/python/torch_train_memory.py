"""Peak RSS of one training step of torchvision's ResNet-50 + the paper's head (TrainingMemoryBenchmark).

Usage: python3 torch_train_memory.py SIZE BATCH THREADS [STEPS]
Prints one JSON line: RSS before the step (model and optimiser built), VmHWM after it, both in bytes.
"""
import json
import sys

import torch
import torch.nn as nn
import torchvision


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return -1


def main():
    size, batch, threads = (int(a) for a in sys.argv[1:4])
    steps = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    torch.set_num_threads(threads)
    torch.manual_seed(42)
    net = torchvision.models.resnet50()
    net.fc = nn.Sequential(nn.Linear(2048, 512), nn.BatchNorm1d(512), nn.ReLU(), nn.Linear(512, 2))
    net.train()
    opt = torch.optim.Adam(net.parameters(), lr=1e-5, weight_decay=1e-5)
    x = torch.randn(batch, 3, size, size)
    y = torch.arange(batch) % 2
    before = status("VmRSS")
    for _ in range(steps):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    print(json.dumps({"engine": "torch", "size": size, "batch": batch, "rss_before": before,
                      "hwm": status("VmHWM"), "loss": float(loss), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
