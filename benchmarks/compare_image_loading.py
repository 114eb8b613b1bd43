"""Side-by-side image-folder benchmark (chapter 5.2): fastnn, Keras 3 on JAX and PyTorch.

Generates --images synthetic --size x --size JPEGs (quality 90) in two class folders, then measures,
each framework in its own subprocess:

- loader: the loader alone (no model), batch after batch, pinned to one CPU with one thread for
  every library, so the figure is images/s per core. fastnn and Keras read through their
  ImageDataGenerator.flow_from_directory(target_size=(size, size), class_mode='binary'); PyTorch
  through a Dataset that decodes with Pillow and warps with Pillow's affine transform (the
  PIL-image path of torchvision's RandomAffine and RandomHorizontalFlip; torchvision's PyPI wheel
  needs CUDA libraries, so the Dataset stands in for it), read in the child's own process.
- train: 5.2's augmented convnet (four Conv2D 3x3 relu / MaxPooling2D 2 stages of 32, 64, 128, 128
  filters, Flatten, Dropout 0.5, Dense 512 relu, Dense 1 sigmoid; binary cross-entropy, RMSprop
  lr 1e-4) trained for --batches steps fed by the same loader (fastnn: fit on the iterator with one
  loading thread; Keras: fit on its iterator; PyTorch: a DataLoader with 2 workers), --threads
  threads, pinned to that many CPUs. The figure is images/s of training.

Augmentation is the book's (rescale 1/255, rotation 40, width/height shift 0.2, shear 0.2, zoom 0.2,
horizontal flips, fill_mode 'nearest') or rescale only. The order of the subprocesses alternates
between rounds, the median of the rounds is reported, ratios are taken within each round.

    python benchmarks/compare_image_loading.py [--images 2000] [--size 150] [--batch-size 32]
        [--batches 20] [--rounds 3] [--threads 2] [--modes loader,train]
        [--frameworks fastnn,keras,torch] [--augmentations book,rescale] [--dir DIR] [--json FILE]
        [--quick]

--quick runs a tiny case (64 images of 48 x 48, 2 batches of 16, 1 round) to check that everything works.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from trainbench.childproc import add_worker_argument, child_env, pin_to_cpus, worker_main  # noqa: E402
from trainbench.childproc import run_worker as run_child  # noqa: E402

FRAMEWORKS = ("fastnn", "keras", "torch")
MODES = ("loader", "train")
AUGMENTATIONS = {
    "book": dict(rescale=1 / 255.0, rotation_range=40, width_shift_range=0.2, height_shift_range=0.2,
                 shear_range=0.2, zoom_range=0.2, horizontal_flip=True, fill_mode="nearest"),
    "rescale": dict(rescale=1 / 255.0),
}
def make_images(directory, count, size, seed=0):
    """count JPEGs (smooth random colour fields with noise, like photos compress) in cats/ and dogs/,
    made once per (count, size) and kept in directory."""
    from PIL import Image

    root = Path(directory) / f"jpegs-{count}-{size}"
    done = root / ".complete"
    if done.exists():
        return root
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size] / size
    for index in range(count):
        cls = ("cats", "dogs")[index % 2]
        (root / cls).mkdir(parents=True, exist_ok=True)
        a, b, c = rng.uniform(-3, 3, (3, 3))
        field = np.stack([np.sin(a[k] * xx + b[k] * yy + c[k]) for k in range(3)], axis=-1)
        pixels = np.clip(127 + 100 * field + rng.normal(0, 12, field.shape), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / cls / f"{cls}.{index}.jpg", quality=90)
    done.write_text("")
    return root


class PillowAugmentedImages:
    """A map-style dataset of the folder's JPEGs (class folders in sorted order, labels 0, 1, ...),
    decoded and resized by Pillow, warped like torchvision's RandomAffine on PIL images (one inverse
    affine matrix about the centre, nearest resampling) and flipped like RandomHorizontalFlip."""

    def __init__(self, directory, size, augmentation, seed=1):
        root = Path(directory)
        classes = sorted(d.name for d in root.iterdir() if d.is_dir())
        self.items = [(str(f), label) for label, c in enumerate(classes) for f in sorted((root / c).glob("*.jpg"))]
        self.size, self.augment = size, augmentation == "book"
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return len(self.items)

    def _inverse_affine(self, width, height):
        angle = np.deg2rad(self.rng.uniform(-40, 40))
        tx, ty = (np.round(self.rng.uniform(-0.2, 0.2) * d) for d in (width, height))
        scale = self.rng.uniform(0.8, 1.2)
        shear = np.deg2rad(self.rng.uniform(-0.2, 0.2))  # Keras's shear_range is in degrees
        cx, cy = width * 0.5, height * 0.5
        rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        forward = rotation @ np.array([[1.0, np.tan(shear)], [0.0, 1.0]]) * scale
        # the output pixel p reads the input at inverse @ (p - centre - t) + centre
        inverse = np.linalg.inv(forward)
        offset = np.array([cx, cy]) - inverse @ np.array([cx + tx, cy + ty])
        return (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])

    def __getitem__(self, index):
        from PIL import Image

        path, label = self.items[index]
        with Image.open(path) as image:
            image = image.convert("RGB").resize((self.size, self.size), Image.NEAREST)
        if self.augment:
            image = image.transform(image.size, Image.AFFINE, self._inverse_affine(*image.size), Image.NEAREST)
            if self.rng.random() < 0.5:
                image = image.transpose(Image.FLIP_LEFT_RIGHT)
        pixels = np.asarray(image, dtype=np.float32) * (1 / 255.0)
        return pixels.transpose(2, 0, 1).copy(), np.float32(label)


def _keras_iterator(framework, directory, size, batch_size, augmentation):
    if framework == "fastnn":
        from fastnn.preprocessing.image import ImageDataGenerator
    else:
        from keras.src.legacy.preprocessing.image import ImageDataGenerator
    return ImageDataGenerator(**AUGMENTATIONS[augmentation]).flow_from_directory(
        str(directory), target_size=(size, size), batch_size=batch_size, class_mode="binary", seed=1)


def _time_loader(framework, directory, size, batch_size, batches, augmentation):
    if framework == "torch":
        dataset = PillowAugmentedImages(directory, size, augmentation)
        order = np.random.default_rng(1).permutation(len(dataset))
        fetch = lambda i: np.stack([dataset[int(j)][0] for j in  # noqa: E731
                                    np.resize(order, (i + 1) * batch_size)[i * batch_size:(i + 1) * batch_size]])
        count = len(dataset) // batch_size
    else:
        iterator = _keras_iterator(framework, directory, size, batch_size, augmentation)
        fetch, count = (lambda i: iterator[i][0]), len(iterator)
    fetch(0)  # warm-up: imports, first allocations
    images, start = 0, time.perf_counter()
    for i in range(batches):
        images += len(fetch((i + 1) % count))
    return images, time.perf_counter() - start


def _convnet_layers(size):
    """(filters) of the four stages and the flattened size after them, for a size x size input."""
    side = size
    for _ in range(4):
        side = (side - 2) // 2
    if side < 1:
        raise SystemExit(f"--size {size} is too small for four 3x3 convolution / 2x2 pooling stages (at least 46)")
    return (32, 64, 128, 128), side * side * 128


def _time_training(framework, directory, size, batch_size, batches, augmentation, threads):
    filters, flat = _convnet_layers(size)
    if framework == "torch":
        import torch
        from torch import nn

        torch.set_num_threads(threads)
        torch.manual_seed(0)
        stages, channels = [], 3
        for f in filters:
            stages += [nn.Conv2d(channels, f, 3), nn.ReLU(), nn.MaxPool2d(2)]
            channels = f
        model = nn.Sequential(*stages, nn.Flatten(), nn.Dropout(0.5), nn.Linear(flat, 512), nn.ReLU(),
                              nn.Linear(512, 1))
        optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-4, alpha=0.9, eps=1e-7)
        loss_fn = nn.BCEWithLogitsLoss()
        loader = torch.utils.data.DataLoader(PillowAugmentedImages(directory, size, augmentation),
                                             batch_size=batch_size, shuffle=True, num_workers=2, drop_last=True,
                                             persistent_workers=True)

        def batches_of(n):
            done = 0
            while True:
                for x, y in loader:
                    if done == n:
                        return
                    yield x, y
                    done += 1

        def train(n):
            for x, y in batches_of(n):
                optimizer.zero_grad()
                loss_fn(model(x).squeeze(1), y).backward()
                optimizer.step()
    else:
        if framework == "fastnn":
            import fastnn as lib
            from fastnn import layers, models, optimizers

            lib.set_num_threads(threads)
        else:
            from keras import layers, models, optimizers
        model = models.Sequential([layers.Input((size, size, 3))] if framework == "keras" else [])
        for i, f in enumerate(filters):
            extra = {"input_shape": (size, size, 3)} if i == 0 and framework == "fastnn" else {}
            model.add(layers.Conv2D(f, (3, 3), activation="relu", **extra))
            model.add(layers.MaxPooling2D((2, 2)))
        for layer in (layers.Flatten(), layers.Dropout(0.5), layers.Dense(512, activation="relu"),
                      layers.Dense(1, activation="sigmoid")):
            model.add(layer)
        model.compile(loss="binary_crossentropy", optimizer=optimizers.RMSprop(learning_rate=1e-4), metrics=["acc"])
        iterator = _keras_iterator(framework, directory, size, batch_size, augmentation)

        def train(n):
            model.fit(iterator, steps_per_epoch=n, epochs=1, verbose=0)
    train(1)  # warm-up: compilation, step plans, worker start
    start = time.perf_counter()
    train(batches)
    return batches * batch_size, time.perf_counter() - start


def measure(framework, job):
    """The worker's side: times job["batches"] batches of the loader alone or of training, pinned to
    job["threads"] CPUs."""
    pin_to_cpus(job["threads"])
    os.environ["KERAS_BACKEND"] = "jax"
    mode, augmentation = job["mode"], job["augmentation"]
    if mode == "loader":
        if framework == "fastnn":
            import fastnn

            fastnn.set_num_threads(1)
        images, seconds = _time_loader(framework, job["dir"], job["size"], job["batch_size"], job["batches"],
                                       augmentation)
    else:
        images, seconds = _time_training(framework, job["dir"], job["size"], job["batch_size"], job["batches"],
                                         augmentation, job["threads"])
    return {"framework": framework, "mode": mode, "augmentation": augmentation, "images": images,
            "seconds": seconds, "images_per_second": images / seconds}


def run_one(framework, mode, args, directory, augmentation, workdir):
    threads = 1 if mode == "loader" else args.threads
    job = {"mode": mode, "dir": str(directory), "size": args.size, "batch_size": args.batch_size,
           "batches": args.batches, "augmentation": augmentation, "threads": threads}
    result = run_child(__file__, framework, job, workdir, None, child_env(threads))
    if "failed" in result or "skipped" in result:
        raise RuntimeError(f"{framework} {mode} ({augmentation}) failed:\n{result.get('failed') or result['skipped']}")
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--size", type=int, default=150)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2, help="threads (and CPUs) of each training run")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--frameworks", default=",".join(FRAMEWORKS))
    parser.add_argument("--augmentations", default="book,rescale")
    parser.add_argument("--dir", default=None, help="where the JPEGs are made (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    parser.add_argument("--quick", action="store_true")
    add_worker_argument(parser)
    args = parser.parse_args(argv)
    if args.worker:
        return worker_main(measure, *args.worker)
    if args.quick:
        args.images, args.size, args.batches, args.rounds, args.batch_size = 64, 48, 2, 1, 16
    _convnet_layers(args.size)
    selected = {}
    for option, known in (("frameworks", FRAMEWORKS), ("modes", MODES), ("augmentations", tuple(AUGMENTATIONS))):
        selected[option] = [v for v in getattr(args, option).split(",") if v]
        for value in selected[option]:
            if value not in known:
                parser.error(f"unknown --{option} value {value!r}; expected some of {', '.join(known)}")
    frameworks, modes, augmentations = selected["frameworks"], selected["modes"], selected["augmentations"]
    with tempfile.TemporaryDirectory() as scratch:
        directory = make_images(args.dir or scratch, args.images, args.size)
        results = {}
        for round_index in range(args.rounds):
            order = frameworks if round_index % 2 == 0 else frameworks[::-1]
            for mode in modes:
                for augmentation in augmentations:
                    for framework in order:
                        run = run_one(framework, mode, args, directory, augmentation, scratch)
                        results.setdefault((mode, framework, augmentation), []).append(run["images_per_second"])
    print(f"{args.images} JPEGs of {args.size}x{args.size}, batch {args.batch_size}, {args.batches} batches, "
          f"median of {args.rounds} round(s); loader: one core; train: {args.threads} threads")
    print(f"{'mode':<7} {'framework':<10} {'augmentation':<13} {'images/s':>10} {'vs best other':>14}")
    table = []
    for mode in modes:
        for augmentation in augmentations:
            for framework in frameworks:
                rates = results[(mode, framework, augmentation)]
                others = [results[(mode, f, augmentation)] for f in frameworks if f != framework]
                ratio = None
                if others:
                    ratio = statistics.median(r / max(o[i] for o in others) for i, r in enumerate(rates))
                table.append({"mode": mode, "framework": framework, "augmentation": augmentation,
                              "images_per_second": statistics.median(rates), "ratio_to_best_other": ratio})
                print(f"{mode:<7} {framework:<10} {augmentation:<13} {statistics.median(rates):>10.1f} "
                      f"{(f'{ratio:.2f}x' if ratio else ''):>14}")
    if args.json:
        Path(args.json).write_text(json.dumps(table, indent=2))


if __name__ == "__main__":
    sys.exit(main())
