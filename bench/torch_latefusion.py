"""PyTorch reference timing for the IEMOCAP-shaped late-fusion workload.

Same model and loop as modalgrid's LateFusionTrainer: per modality Linear(d -> 128) (text 100,
audio 100, video 512), concat, Linear(384 -> 6), softmax cross-entropy, Adam lr 0.01, batch 2048,
a fresh permutation each epoch. Random data. Prints the median and minimum ms/epoch after three
warm-up epochs. Debian's python3-torch links the reference BLAS unless an optimised one is
installed: apt-get install python3-torch libopenblas0-pthread. With OpenBLAS' pthreads and torch's
OpenMP on the same cores, OMP_WAIT_POLICY=PASSIVE makes it much faster (idle OpenMP workers stop
spinning), as it does for ND4J.

  /usr/bin/python3 bench/torch_latefusion.py [threads=2] [epochs=10]
"""
import statistics
import sys
import time

import torch
import torch.nn as nn

DIMS = (100, 100, 512)
CLASSES = 6
BATCH = 2048


class LateFusion(nn.Module):
    def __init__(self, dims, latent=128, classes=CLASSES):
        super().__init__()
        self.enc = nn.ModuleList(nn.Linear(d, latent) for d in dims)
        self.head = nn.Linear(latent * len(dims), classes)

    def forward(self, xs):
        return self.head(torch.cat([e(x) for e, x in zip(self.enc, xs)], dim=1))


def time_epochs(rows, epochs, seed=0):
    g = torch.Generator().manual_seed(seed)
    xs = [torch.randn(rows, d, generator=g) for d in DIMS]
    y = torch.randint(0, CLASSES, (rows,), generator=g)
    model = LateFusion(DIMS)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    times = []
    for epoch in range(epochs + 3):
        t0 = time.perf_counter()
        perm = torch.randperm(rows, generator=g)
        sx = [x[perm] for x in xs]
        sy = y[perm]
        total = 0.0
        for s in range(0, rows, BATCH):
            xb = [x[s:s + BATCH] for x in sx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), sy[s:s + BATCH])
            loss.backward()
            opt.step()
            total += loss.item() * xb[0].shape[0]
        if epoch >= 3:
            times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def main():
    threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    torch.set_num_threads(threads)
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, epochs timed {epochs}")
    for rows in (13200, 5810):
        med, best = time_epochs(rows, epochs)
        print(f"rows {rows:5d}  PyTorch  median {med:7.1f}  min {best:7.1f} ms/epoch")


if __name__ == "__main__":
    main()
