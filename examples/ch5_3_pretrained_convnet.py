"""Chapter 5.3 (listings 5.16-5.24 and the test evaluation): VGG16's convolutional base on cats
vs dogs: fast feature extraction with conv_base.predict over a generator and a densely connected
classifier on the features; conv_base as a frozen layer of a model trained end to end with data
augmentation; fine-tuning from block5_conv1; smoothed curves; evaluation on the test folder.

    python examples/ch5_3_pretrained_convnet.py [--data-dir DIR | --synthetic] [--weights imagenet|none|FILE]
           [--size 150] [--epochs 30] [--fine-tune-epochs 100] [--steps-per-epoch 100] [--validation-steps 50]
           [--test-steps 50] [--save-dir .] [--plot curves.png] [--threads N] [--seed S]

--data-dir is the cats_and_dogs_small folder chapter 5.2 makes (train/, validation/ and test/,
each with cats/ and dogs/); --synthetic writes a small one. --weights is VGG16's: 'imagenet' (the
book's: the published notop file, from ~/.fastnn/models or downloaded), 'none' (random
weights) or the path of a weight file. --size sets the pictures' side (the book's 150; VGG16
takes 32 and up). The end-to-end model is saved with the book's
model.save('cats_and_dogs_small_3.h5') in --save-dir (needs h5py). --plot saves the curves (needs
matplotlib). Needs Pillow (pip install "fastnn[image]").
"""
import os
import sys

import numpy as np

from fastnn import layers, models, optimizers
from fastnn.applications import VGG16
from fastnn.datasets import DownloadError
from fastnn.preprocessing.image import ImageDataGenerator

import _cli
import _imdb_sequences
import _synthetic
from ch5_2_cats_and_dogs import report


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=30, data_help="the cats_and_dogs_small folder",
                              plot_help="save the accuracy and loss curves to PNGs named after this one",
                              epochs_help="epochs of the classifier on the features and of the frozen-base model")
    _cli.add_synthetic_flag(parser, "cat and dog pictures (cats_and_dogs_small/)")
    parser.add_argument("--weights", default="imagenet", help="VGG16's weights: imagenet, none or a file")
    parser.add_argument("--size", type=_cli.positive_int, default=150, help="the pictures' side in pixels")
    parser.add_argument("--fine-tune-epochs", type=_cli.positive_int, default=100)
    parser.add_argument("--steps-per-epoch", type=_cli.positive_int, default=100)
    parser.add_argument("--validation-steps", type=_cli.positive_int, default=50)
    parser.add_argument("--test-steps", type=_cli.positive_int, default=50)
    parser.add_argument("--save-dir", default=".", help="where the end-to-end model is saved")
    return parser.parse_args(argv)


def load_conv_base(args):
    # Listing 5.16: instantiating the VGG16 convolutional base
    weights = None if args.weights.lower() == "none" else args.weights
    try:
        conv_base = VGG16(weights=weights,
                          include_top=False,
                          input_shape=(args.size, args.size, 3))
    except (DownloadError, OSError, ValueError) as error:
        sys.exit(f"{error}\nWith this script: --weights none (random weights) or --weights FILE "
                 "(vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5)")
    conv_base.summary()
    return conv_base


def pictures_in(directory):
    return sum(len(os.listdir(os.path.join(directory, kind))) for kind in sorted(os.listdir(directory)))


def feature_extraction(conv_base, train_dir, validation_dir, args, plt):
    # Listing 5.17: extracting features using the pretrained convolutional base. The book's
    # (4, 4, 512) is the base's output at 150x150; its 2000/1000 samples are the folders' counts.
    feature_shape = conv_base.output_shape[1:]
    size = args.size
    datagen = ImageDataGenerator(rescale=1./255)
    batch_size = 20

    def extract_features(directory, sample_count):
        features = np.zeros(shape=(sample_count,) + feature_shape)
        labels = np.zeros(shape=(sample_count))
        generator = datagen.flow_from_directory(
            directory,
            target_size=(size, size),
            batch_size=batch_size,
            class_mode='binary')
        i = 0
        for inputs_batch, labels_batch in generator:
            features_batch = conv_base.predict(inputs_batch)
            features[i * batch_size: (i + 1) * batch_size] = features_batch
            labels[i * batch_size: (i + 1) * batch_size] = labels_batch
            i += 1
            if i * batch_size >= sample_count:
                break
        return features, labels

    train_count, validation_count = pictures_in(train_dir), pictures_in(validation_dir)
    train_features, train_labels = extract_features(train_dir, train_count)
    validation_features, validation_labels = extract_features(validation_dir, validation_count)
    flat = int(np.prod(feature_shape))
    train_features = np.reshape(train_features, (train_count, flat))
    validation_features = np.reshape(validation_features, (validation_count, flat))
    print("features:", train_features.shape, validation_features.shape)

    # Listing 5.18: defining and training the densely connected classifier
    model = models.Sequential()
    model.add(layers.Dense(256, activation='relu', input_dim=flat))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation='sigmoid'))
    model.compile(optimizer=optimizers.RMSprop(lr=2e-5),
                  loss='binary_crossentropy',
                  metrics=['acc'])
    history = model.fit(train_features, train_labels,
                        epochs=args.epochs,
                        batch_size=20,
                        validation_data=(validation_features, validation_labels))
    report(history, "densely connected classifier on the features")

    # Listing 5.19: plotting the results
    _imdb_sequences.plot_history(plt, history, args.plot, "feature_extraction")


def frozen_base(conv_base, train_dir, validation_dir, args, plt):
    # Listing 5.20: adding a densely connected classifier on top of the convolutional base
    model = models.Sequential()
    model.add(conv_base)
    model.add(layers.Flatten())
    model.add(layers.Dense(256, activation='relu'))
    model.add(layers.Dense(1, activation='sigmoid'))
    model.summary()

    print('This is the number of trainable weights '
          'before freezing the conv base:', len(model.trainable_weights))
    conv_base.trainable = False
    print('This is the number of trainable weights '
          'after freezing the conv base:', len(model.trainable_weights))

    # Listing 5.21: training the model end to end with a frozen convolutional base
    size = args.size
    train_datagen = ImageDataGenerator(
        rescale=1./255,
        rotation_range=40,
        width_shift_range=0.2,
        height_shift_range=0.2,
        shear_range=0.2,
        zoom_range=0.2,
        horizontal_flip=True,
        fill_mode='nearest')
    test_datagen = ImageDataGenerator(rescale=1./255)
    train_generator = train_datagen.flow_from_directory(
        train_dir,
        target_size=(size, size),
        batch_size=20,
        class_mode='binary')
    validation_generator = test_datagen.flow_from_directory(
        validation_dir,
        target_size=(size, size),
        batch_size=20,
        class_mode='binary')
    model.compile(loss='binary_crossentropy',
                  optimizer=optimizers.RMSprop(lr=2e-5),
                  metrics=['acc'])
    history = model.fit_generator(
        train_generator,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.epochs,
        validation_data=validation_generator,
        validation_steps=args.validation_steps)
    report(history, "frozen VGG16 base with augmentation")
    model.save(os.path.join(args.save_dir, 'cats_and_dogs_small_3.h5'))
    _imdb_sequences.plot_history(plt, history, args.plot, "frozen_base")
    return model, train_generator, validation_generator


def fine_tune(model, conv_base, train_generator, validation_generator, args, plt):
    conv_base.summary()

    # Listing 5.22: freezing all layers up to a specific one
    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:
        if layer.name == 'block5_conv1':
            set_trainable = True
        if set_trainable:
            layer.trainable = True
        else:
            layer.trainable = False
    print('trainable weights when fine-tuning from block5_conv1:', len(model.trainable_weights))

    # Listing 5.23: fine-tuning the model
    model.compile(loss='binary_crossentropy',
                  optimizer=optimizers.RMSprop(lr=1e-5),
                  metrics=['acc'])
    history = model.fit_generator(
        train_generator,
        steps_per_epoch=args.steps_per_epoch,
        epochs=args.fine_tune_epochs,
        validation_data=validation_generator,
        validation_steps=args.validation_steps)
    report(history, "fine-tuned from block5_conv1")

    # Listing 5.24: smoothing the plots
    def smooth_curve(points, factor=0.8):
        smoothed_points = []
        for point in points:
            if smoothed_points:
                previous = smoothed_points[-1]
                smoothed_points.append(previous * factor + point * (1 - factor))
            else:
                smoothed_points.append(point)
        return smoothed_points

    smoothed = {key: smooth_curve(values) for key, values in history.history.items()}
    print(f"smoothed validation acc after the last epoch: {smoothed['val_acc'][-1]:.4f}")
    _imdb_sequences.plot_history(plt, as_history(smoothed), args.plot, "fine_tuning_smoothed")


def as_history(values):
    """An object with a .history dict, as plot_history takes."""
    class Smoothed:
        history = values

    return Smoothed()


def evaluate(model, test_dir, args):
    size = args.size
    test_datagen = ImageDataGenerator(rescale=1./255)
    test_generator = test_datagen.flow_from_directory(
        test_dir,
        target_size=(size, size),
        batch_size=20,
        class_mode='binary')
    test_loss, test_acc = model.evaluate_generator(test_generator, steps=args.test_steps)
    print('test acc:', test_acc)


def main(argv=None):
    args = parse_args(argv)
    plt = _cli.start(args)
    os.makedirs(args.save_dir, exist_ok=True)
    with _cli.data_source(args, _synthetic.write_cats_and_dogs, side=args.size) as base_dir:
        if base_dir is None or not os.path.isdir(os.path.join(base_dir, "test", "cats")):
            sys.exit(f"no cats_and_dogs_small folder at {base_dir!r}: pass --data-dir DIR (holding train/, "
                     "validation/ and test/, each with cats/ and dogs/), or --synthetic")
        train_dir = os.path.join(base_dir, 'train')
        validation_dir = os.path.join(base_dir, 'validation')
        test_dir = os.path.join(base_dir, 'test')

        conv_base = load_conv_base(args)
        feature_extraction(conv_base, train_dir, validation_dir, args, plt)
        model, train_generator, validation_generator = frozen_base(conv_base, train_dir, validation_dir, args, plt)
        fine_tune(model, conv_base, train_generator, validation_generator, args, plt)
        evaluate(model, test_dir, args)


if __name__ == "__main__":
    main()
