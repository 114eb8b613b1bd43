"""Chapter 5.2 (listings 5.4-5.14): a convnet trained from scratch on cats vs dogs, read from
folders of JPEGs: the copy into train/validation/test folders, the small convnet, data
preprocessing with ImageDataGenerator and flow_from_directory, fit_generator, saving, the
training curves, then data augmentation and the convnet with Dropout.

    python examples/ch5_2_cats_and_dogs.py [--data-dir DIR | --synthetic] [--base-dir cats_and_dogs_small]
           [--epochs 30] [--augmented-epochs 100] [--steps-per-epoch 100] [--validation-steps 50]
           [--save-dir .] [--plot curves.png] [--threads N] [--seed S]

--data-dir is the folder of Kaggle's training pictures (the book's original_dataset_dir:
cat.0.jpg ... cat.12499.jpg and dog.0.jpg ...); listing 5.4 copies the first 2,000 of each kind
into --base-dir (--train-count, --validation-count and --test-count per class, the book's
1000/500/500). A --base-dir that exists already is used as it is. --synthetic writes a small
folder of generated pictures in Kaggle's layout and runs on it (the copies then go to a
temporary folder unless --base-dir is given). The models are saved with the book's
model.save('cats_and_dogs_small_1.h5') and '..._2.h5' (Keras's HDF5 model files, needs h5py) in
--save-dir.
--plot saves the curves (needs matplotlib) and four augmented pictures (matplotlib, else Pillow).
Needs Pillow (pip install "fastnn[image]").
"""
import os
import shutil
import sys

from fastnn import layers, models, optimizers
from fastnn.preprocessing import image
from fastnn.preprocessing.image import ImageDataGenerator

import _cli
import _imdb_sequences
import _synthetic

BOOK_COUNTS = (1000, 500, 500)  # pictures of each kind copied into train/, validation/, test/


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=30, data_help="the folder of Kaggle's cat.N.jpg and dog.N.jpg",
                              plot_help="save the curves and augmented pictures to PNGs named after this one",
                              epochs_help="epochs of the first convnet (listing 5.8)")
    _cli.add_synthetic_flag(parser, "cat and dog pictures (Kaggle's cat.N.jpg / dog.N.jpg)")
    parser.add_argument("--base-dir", default=None,
                        help="where listing 5.4 makes train/, validation/ and test/ (default: cats_and_dogs_small, "
                             "or a temporary folder with --synthetic)")
    parser.add_argument("--train-count", type=_cli.positive_int, default=None, help="pictures per class in train/")
    parser.add_argument("--validation-count", type=_cli.positive_int, default=None,
                        help="pictures per class in validation/")
    parser.add_argument("--test-count", type=_cli.positive_int, default=None, help="pictures per class in test/")
    parser.add_argument("--augmented-epochs", type=_cli.positive_int, default=100,
                        help="epochs of the convnet with augmentation and dropout (listing 5.14)")
    parser.add_argument("--steps-per-epoch", type=_cli.positive_int, default=100)
    parser.add_argument("--validation-steps", type=_cli.positive_int, default=50)
    parser.add_argument("--save-dir", default=".", help="where the two models are saved")
    return parser.parse_args(argv)


def write_kaggle_folder(folder, rng):
    """Kaggle's train/ folder as the book's original_dataset_dir: generated cat.N.jpg and dog.N.jpg
    (the pictures _synthetic.write_cats_and_dogs draws, numbered from 0 for each kind)."""
    drawn = _synthetic.write_cats_and_dogs(os.path.join(folder, "drawn"), rng)
    original = os.path.join(folder, "kaggle_train")
    os.mkdir(original)
    for kind in ("cat", "dog"):
        pictures = sorted((os.path.join(drawn, split, kind + "s", name) for split in ("train", "validation", "test")
                           for name in os.listdir(os.path.join(drawn, split, kind + "s"))))
        for number, path in enumerate(pictures):
            shutil.move(path, os.path.join(original, f"{kind}.{number}.jpg"))
    shutil.rmtree(drawn)
    return original


def picture_counts(args, original_dataset_dir):
    """--train/validation/test-count, else the book's 1000/500/500, else (fewer pictures, as
    --synthetic writes) the folder split in thirds."""
    given = (args.train_count, args.validation_count, args.test_count)
    cats = len([name for name in os.listdir(original_dataset_dir) if name.startswith("cat.")])
    book = BOOK_COUNTS if cats >= sum(BOOK_COUNTS) else (cats // 3,) * 3
    return tuple(count or default for count, default in zip(given, book))


def copy_pictures(original_dataset_dir, base_dir, counts):
    """Listing 5.4: copying images to training, validation, and test directories."""
    train_count, validation_count, test_count = counts
    os.mkdir(base_dir)

    train_dir = os.path.join(base_dir, 'train')
    os.mkdir(train_dir)
    validation_dir = os.path.join(base_dir, 'validation')
    os.mkdir(validation_dir)
    test_dir = os.path.join(base_dir, 'test')
    os.mkdir(test_dir)

    train_cats_dir = os.path.join(train_dir, 'cats')
    os.mkdir(train_cats_dir)
    train_dogs_dir = os.path.join(train_dir, 'dogs')
    os.mkdir(train_dogs_dir)
    validation_cats_dir = os.path.join(validation_dir, 'cats')
    os.mkdir(validation_cats_dir)
    validation_dogs_dir = os.path.join(validation_dir, 'dogs')
    os.mkdir(validation_dogs_dir)
    test_cats_dir = os.path.join(test_dir, 'cats')
    os.mkdir(test_cats_dir)
    test_dogs_dir = os.path.join(test_dir, 'dogs')
    os.mkdir(test_dogs_dir)

    first, second, third = train_count, train_count + validation_count, train_count + validation_count + test_count
    fnames = ['cat.{}.jpg'.format(i) for i in range(first)]
    for fname in fnames:
        src = os.path.join(original_dataset_dir, fname)
        dst = os.path.join(train_cats_dir, fname)
        shutil.copyfile(src, dst)
    fnames = ['cat.{}.jpg'.format(i) for i in range(first, second)]
    for fname in fnames:
        src = os.path.join(original_dataset_dir, fname)
        dst = os.path.join(validation_cats_dir, fname)
        shutil.copyfile(src, dst)
    fnames = ['cat.{}.jpg'.format(i) for i in range(second, third)]
    for fname in fnames:
        src = os.path.join(original_dataset_dir, fname)
        dst = os.path.join(test_cats_dir, fname)
        shutil.copyfile(src, dst)
    fnames = ['dog.{}.jpg'.format(i) for i in range(first)]
    for fname in fnames:
        src = os.path.join(original_dataset_dir, fname)
        dst = os.path.join(train_dogs_dir, fname)
        shutil.copyfile(src, dst)
    fnames = ['dog.{}.jpg'.format(i) for i in range(first, second)]
    for fname in fnames:
        src = os.path.join(original_dataset_dir, fname)
        dst = os.path.join(validation_dogs_dir, fname)
        shutil.copyfile(src, dst)
    fnames = ['dog.{}.jpg'.format(i) for i in range(second, third)]
    for fname in fnames:
        src = os.path.join(original_dataset_dir, fname)
        dst = os.path.join(test_dogs_dir, fname)
        shutil.copyfile(src, dst)

    print('total training cat images:', len(os.listdir(train_cats_dir)))
    print('total training dog images:', len(os.listdir(train_dogs_dir)))
    print('total validation cat images:', len(os.listdir(validation_cats_dir)))
    print('total validation dog images:', len(os.listdir(validation_dogs_dir)))
    print('total test cat images:', len(os.listdir(test_cats_dir)))
    print('total test dog images:', len(os.listdir(test_dogs_dir)))


def build_convnet(dropout):
    # Listing 5.5: instantiating a small convnet for dogs vs. cats classification
    # (listing 5.13, with dropout: a Dropout(0.5) before the densely connected classifier)
    model = models.Sequential()
    model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(150, 150, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(64, (3, 3), activation='relu'))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation='relu'))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(128, (3, 3), activation='relu'))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Flatten())
    if dropout:
        model.add(layers.Dropout(0.5))
    model.add(layers.Dense(512, activation='relu'))
    model.add(layers.Dense(1, activation='sigmoid'))

    # Listing 5.6: configuring the model for training
    model.compile(loss='binary_crossentropy', optimizer=optimizers.RMSprop(lr=1e-4), metrics=['acc'])
    return model


def show_augmented_pictures(datagen, train_cats_dir, plot_path):
    # Listing 5.12: displaying some randomly augmented training images (saved, not shown)
    fnames = [os.path.join(train_cats_dir, fname) for fname in sorted(os.listdir(train_cats_dir))]
    img_path = fnames[3 % len(fnames)]
    img = image.load_img(img_path, target_size=(150, 150))
    x = image.img_to_array(img)
    x = x.reshape((1,) + x.shape)
    plt = _cli.load_pyplot()
    root, extension = os.path.splitext(plot_path)
    i = 0
    for batch in datagen.flow(x, batch_size=1):
        path = f"{root}_augmented_{i}{extension or '.png'}"
        if plt is not None:
            plt.figure(i)
            plt.imshow(image.array_to_img(batch[0]))
            plt.savefig(path)
            plt.close()
        else:
            image.save_img(path, batch[0])
        i += 1
        if i % 4 == 0:
            break
    print(f"4 augmented versions of {os.path.basename(img_path)} saved as {root}_augmented_*.png")


def report(history, what):
    last = {key: values[-1] for key, values in history.history.items()}
    print(f"{what}: final training acc {last['acc']:.4f}, validation acc {last['val_acc']:.4f}, "
          f"validation loss {last['val_loss']:.4f}")


def run(args, original_dataset_dir, base_dir, plt):
    if os.path.isdir(base_dir):
        print(f"{base_dir} exists: using its train/, validation/ and test/ as they are")
    else:
        if original_dataset_dir is None or not os.path.isfile(os.path.join(original_dataset_dir, "cat.0.jpg")):
            sys.exit(f"no cat.0.jpg in {original_dataset_dir!r} (Kaggle's dogs-vs-cats train/ folder): "
                     f"pass --data-dir DIR, or --synthetic")
        counts = picture_counts(args, original_dataset_dir)
        missing = [name for kind in ("cat", "dog") for name in (f"{kind}.{i}.jpg" for i in range(sum(counts)))
                   if not os.path.isfile(os.path.join(original_dataset_dir, name))]
        if missing:
            sys.exit(f"{original_dataset_dir} lacks {len(missing)} of the {2 * sum(counts)} pictures to copy "
                     f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}): lower --train-count, "
                     "--validation-count or --test-count")
        copy_pictures(original_dataset_dir, base_dir, counts)
    train_dir = os.path.join(base_dir, 'train')
    validation_dir = os.path.join(base_dir, 'validation')

    model = build_convnet(dropout=False)
    model.summary()

    # Listing 5.7: using ImageDataGenerator to read images from directories
    train_datagen = ImageDataGenerator(rescale=1./255)
    test_datagen = ImageDataGenerator(rescale=1./255)
    train_generator = train_datagen.flow_from_directory(
        train_dir,
        target_size=(150, 150),
        batch_size=20,
        class_mode='binary')
    validation_generator = test_datagen.flow_from_directory(
        validation_dir,
        target_size=(150, 150),
        batch_size=20,
        class_mode='binary')
    for data_batch, labels_batch in train_generator:
        print('data batch shape:', data_batch.shape)
        print('labels batch shape:', labels_batch.shape)
        break

    # Listing 5.8: fitting the model using a batch generator
    history = model.fit_generator(
        train_generator,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.epochs,
        validation_data=validation_generator,
        validation_steps=args.validation_steps)
    report(history, "convnet")

    # Listing 5.9: saving the model
    model.save(os.path.join(args.save_dir, 'cats_and_dogs_small_1.h5'))

    # Listing 5.10: displaying curves of loss and accuracy during training
    _imdb_sequences.plot_history(plt, history, args.plot, "convnet")

    # Listing 5.11: setting up a data augmentation configuration via ImageDataGenerator
    datagen = ImageDataGenerator(
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
        fill_mode='nearest')
    if args.plot:
        show_augmented_pictures(datagen, os.path.join(train_dir, 'cats'), args.plot)

    # Listing 5.13: defining a new convnet that includes dropout
    model = build_convnet(dropout=True)

    # Listing 5.14: training the convnet using data-augmentation generators
    train_datagen = ImageDataGenerator(
        rescale=1./255,
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,)
    test_datagen = ImageDataGenerator(rescale=1./255)
    train_generator = train_datagen.flow_from_directory(
        train_dir,
        target_size=(150, 150),
        batch_size=32,
        class_mode='binary')
    validation_generator = test_datagen.flow_from_directory(
        validation_dir,
        target_size=(150, 150),
        batch_size=32,
        class_mode='binary')
    history = model.fit_generator(
        train_generator,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.augmented_epochs,
        validation_data=validation_generator,
        validation_steps=args.validation_steps)
    report(history, "augmented convnet with dropout")
    model.save(os.path.join(args.save_dir, 'cats_and_dogs_small_2.h5'))
    _imdb_sequences.plot_history(plt, history, args.plot, "augmented")
    return history


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)
    os.makedirs(args.save_dir, exist_ok=True)
    if not args.synthetic:
        return run(args, args.data_dir, args.base_dir or "cats_and_dogs_small", plt)
    import tempfile

    import numpy as np

    with tempfile.TemporaryDirectory(prefix="fastnn-synthetic-") as folder:
        original_dataset_dir = write_kaggle_folder(folder, np.random.default_rng(args.seed))
        return run(args, original_dataset_dir, args.base_dir or os.path.join(folder, "cats_and_dogs_small"), plt)


if __name__ == "__main__":
    main()
