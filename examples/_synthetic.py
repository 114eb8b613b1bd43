"""Small stand-ins for the book's data sets, written in each one's original file format, so that a
script reads --synthetic data through exactly the code that reads the real files.

Each writer takes the folder to write into and a NumPy Generator, and returns the path the
script is given (the folder, or the file itself). The data carries a weak signal (labels that
depend on the inputs) so that training has something to find, but nothing is meant to be learnt
from it.
"""
import gzip
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

# The header line of jena_climate_2009_2016.csv, as the Max Planck Institute publishes it.
JENA_HEADER = ('"Date Time","p (mbar)","T (degC)","Tpot (K)","Tdew (degC)","rh (%)","VPmax (mbar)",'
               '"VPact (mbar)","VPdef (mbar)","sh (g/kg)","H2OC (mmol/mol)","rho (g/m**3)","wv (m/s)",'
               '"max. wv (m/s)","wd (deg)"')
WORDS = ("the a and of to is in it this that was movie film great bad good awful wonderful boring "
         "brilliant plot actor story terrible loved hated best worst fun dull").split()
POSITIVE = {"great", "good", "wonderful", "brilliant", "loved", "best", "fun"}


def _review_indices(rng, count, num_words, length):
    """Word-index reviews as imdb.npz stores them (ranks from 1), and labels from the words used."""
    labels = rng.integers(0, 2, count)
    reviews = []
    for label in labels:
        size = int(rng.integers(length // 2, length + 1))
        words = rng.integers(1, num_words, size)
        marker = 5 if label else 6  # a word rank that says which side the review is on
        words[rng.random(size) < 0.2] = marker
        reviews.append(words.tolist())
    return reviews, labels


def _object_array(rows):
    array = np.empty(len(rows), dtype=object)
    for position, row in enumerate(rows):
        array[position] = row
    return array


def write_imdb_npz(folder, rng, count=64, num_words=12000, length=60):
    """Keras's imdb.npz: x_train, y_train, x_test, y_test, the x's object arrays of word-index lists."""
    train, train_labels = _review_indices(rng, count, num_words, length)
    test, test_labels = _review_indices(rng, count, num_words, length)
    np.savez(Path(folder) / "imdb.npz", x_train=_object_array(train), y_train=train_labels,
             x_test=_object_array(test), y_test=test_labels)
    return Path(folder)


def _review_text(rng, label, length):
    words = list(rng.choice(WORDS, int(rng.integers(length // 2, length + 1))))
    flavour = sorted(POSITIVE) if label else ["bad", "awful", "boring", "terrible", "hated", "worst", "dull"]
    for position in rng.integers(0, len(words), max(1, len(words) // 5)):
        words[position] = str(rng.choice(flavour))
    return " ".join(words).capitalize() + ". <br /><br />The end."


def write_aclimdb(folder, rng, count=40, length=60):
    """The raw IMDB archive unpacked: aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt."""
    root = Path(folder) / "aclImdb"
    for split in ("train", "test"):
        for label, name in ((0, "neg"), (1, "pos")):
            target = root / split / name
            target.mkdir(parents=True)
            for review in range(count // 2):
                rating = int(rng.integers(7, 11) if label else rng.integers(1, 5))
                (target / f"{review}_{rating}.txt").write_text(_review_text(rng, label, length), encoding="utf-8")
    return root


def write_glove(folder, rng, dimension=100, extra_words=200):
    """A GloVe text file (glove.6B.<d>d.txt's format): a word and its d numbers per line."""
    path = Path(folder) / f"glove.6B.{dimension}d.txt"
    vocabulary = list(WORDS) + ["end", "br"] + [f"word{i}" for i in range(extra_words)]
    with open(path, "w", encoding="utf-8") as file:
        for word in vocabulary:
            vector = rng.normal(0, 0.4, dimension)
            if word in POSITIVE:
                vector[0] += 1.0
            file.write(word + " " + " ".join(f"{value:.6f}" for value in vector) + "\n")
    return path


def write_jena_csv(folder, rng, rows=12000):
    """jena_climate_2009_2016.csv: the header above, then one row every 10 minutes from
    01.01.2009 00:10:00, 14 readings each, and no newline after the last row (as the real file)."""
    minutes = 10 * np.arange(1, rows + 1)
    day = 2 * np.pi * minutes / 1440
    year = 2 * np.pi * minutes / (365 * 1440)
    temperature = 9 - 10 * np.cos(year) - 4 * np.cos(day) + np.cumsum(rng.normal(0, 0.05, rows))
    pressure = 990 + np.cumsum(rng.normal(0, 0.1, rows))
    humidity = np.clip(75 + 15 * np.cos(day) + rng.normal(0, 3, rows), 5, 100)
    columns = [pressure, temperature, temperature + 273.15 + 0.1 * (1000 - pressure) / 10,
               temperature - (100 - humidity) / 5, humidity]
    columns += [np.abs(rng.normal(mean, spread, rows)) for mean, spread in
                ((13, 7), (9, 4), (4, 3), (6, 2), (9, 4), (1200, 40), (2, 1.5), (3, 2), (180, 90))]
    table = np.stack(columns, axis=1)
    lines = [JENA_HEADER]
    for minute, values in zip(minutes, table):
        days, rest = divmod(int(minute), 1440)
        stamp = _date(days) + f" {rest // 60:02d}:{rest % 60:02d}:00"
        lines.append(stamp + "," + ",".join(f"{value:.2f}" for value in values))
    path = Path(folder) / "jena_climate_2009_2016.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    return Path(folder)


def _date(days_since_2009):
    import datetime

    date = datetime.date(2009, 1, 1) + datetime.timedelta(days=days_since_2009)
    return date.strftime("%d.%m.%Y")


def write_nietzsche(folder, rng, characters=20000):
    """nietzsche.txt: plain text, mixed case, punctuation and line breaks."""
    words = ("the will to power is that which truth itself philosophers have always been "
             "man must morality and good evil spirit free life").split()
    pieces = []
    while sum(len(piece) for piece in pieces) < characters:
        sentence = " ".join(rng.choice(words, int(rng.integers(4, 14))))
        pieces.append(sentence.capitalize() + rng.choice([". ", "; ", "? ", "!\n", ",--"]))
    path = Path(folder) / "nietzsche.txt"
    path.write_text("PREFACE\n\n\n" + "".join(pieces), encoding="utf-8")
    return path


def _idx(array):
    header = struct.pack(">HBB", 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def write_mnist(folder, rng, train=256, test=64):
    """The four MNIST IDX files, gzipped as published: blurry blobs whose position is the digit."""
    folder = Path(folder)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        rows, cols = np.mgrid[0:28, 0:28]
        centres = np.stack([6 + 2 * (labels % 5), 8 + 10 * (labels // 5)], axis=1)
        distance = (rows[None] - centres[:, :1, None]) ** 2 + (cols[None] - centres[:, 1:, None]) ** 2
        images = 255 * np.exp(-distance / 18.0) + rng.normal(0, 10, (count, 28, 28))
        (folder / f"{prefix}-images-idx3-ubyte.gz").write_bytes(_idx(np.clip(images, 0, 255)))
        (folder / f"{prefix}-labels-idx1-ubyte.gz").write_bytes(_idx(labels))
    return folder


def write_cifar10(folder, rng, per_batch=40):
    """cifar-10-python.tar.gz: cifar-10-batches-py/ with five training batches and a test batch,
    each a pickled dict of ``data`` (uint8 rows of 3072: the R, G, B planes) and ``labels``."""
    path = Path(folder) / "cifar-10-python.tar.gz"
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    with tarfile.open(path, "w:gz") as archive:
        for name in names:
            labels = rng.integers(0, 10, per_batch)
            labels[::3] = 6  # a third of them frogs, enough for 8.5's batches of frog images
            planes = rng.integers(0, 256, (per_batch, 3, 32, 32))
            planes[labels == 6, 1] //= 2  # frogs (class 6) a little less green-noisy: anything will do
            content = pickle.dumps({"data": planes.reshape(per_batch, 3072).astype(np.uint8),
                                    "labels": [int(label) for label in labels],
                                    "batch_label": name}, protocol=2)
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return Path(folder)


def write_cats_and_dogs(folder, rng, per_class=12, side=150):
    """cats_and_dogs_small/{train,validation,test}/{cats,dogs}/cat.N.jpg as the book's listing 5.4
    lays it out: JPEGs (needs Pillow) of warm blobs for cats and cool stripes for dogs."""
    from fastnn.preprocessing.image import array_to_img

    root = Path(folder) / "cats_and_dogs_small"
    rows, cols = np.mgrid[0:side, 0:side] / side
    number = 0
    for split in ("train", "validation", "test"):
        for kind in ("cats", "dogs"):
            target = root / split / kind
            target.mkdir(parents=True)
            for _ in range(per_class):
                centre = rng.uniform(0.3, 0.7, 2)
                if kind == "cats":
                    blob = np.exp(-((rows - centre[0]) ** 2 + (cols - centre[1]) ** 2) / 0.03)
                    picture = np.stack([200 * blob + 40, 120 * blob + 30, 60 * blob + 20], axis=-1)
                else:
                    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * (rows * 6 + centre[0] * 3))
                    picture = np.stack([60 * stripes + 20, 110 * stripes + 40, 210 * stripes + 30], axis=-1)
                picture = np.clip(picture + rng.normal(0, 12, picture.shape), 0, 255)
                array_to_img(picture, scale=False).save(target / f"{kind[:-1]}.{number}.jpg", quality=90)
                number += 1
    return root
