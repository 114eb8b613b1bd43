"""Chapter 5.3 of the book as printed (keras -> fastnn) on tiny generated image folders: feature
extraction with conv_base.predict, conv_base as a layer of a Sequential model with
conv_base.trainable = False, and fine-tuning from block5_conv1 by layer name; weights=None or a
local weight file (no download)."""
import os
import threading

import numpy as np
import pytest

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

from fastnn import layers, models, optimizers  # noqa: E402
from fastnn.applications import VGG16  # noqa: E402
from fastnn.preprocessing.image import ImageDataGenerator  # noqa: E402
from fastnn.utils import set_random_seed  # noqa: E402

SIZE = 32


def make_split(base_dir, per_class=6):
    """train/validation/test folders of cats and dogs: dark and bright noise images."""
    rng = np.random.default_rng(0)
    for split in ("train", "validation", "test"):
        for cls, level in (("cats", 70), ("dogs", 180)):
            folder = os.path.join(base_dir, split, cls)
            os.makedirs(folder)
            for i in range(per_class):
                pixels = np.clip(rng.normal(level, 40, (SIZE + 8, SIZE + 4, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(pixels).save(os.path.join(folder, f"{cls[:-1]}.{i}.jpg"))
    return [os.path.join(base_dir, s) for s in ("train", "validation", "test")]


def weights_of(layer):
    return [w.data.copy() for w in layer.weights]


def test_feature_extraction_with_conv_base_predict(tmp_path):
    train_dir, validation_dir, _ = make_split(str(tmp_path))
    set_random_seed(0)
    conv_base = VGG16(weights=None, include_top=False, input_shape=(SIZE, SIZE, 3))
    conv_base.save_weights(str(tmp_path / "vgg16_notop.h5"))
    conv_base = VGG16(weights=str(tmp_path / "vgg16_notop.h5"), include_top=False, input_shape=(SIZE, SIZE, 3))

    datagen = ImageDataGenerator(rescale=1. / 255)
    batch_size = 4

    def extract_features(directory, sample_count):
        features = np.zeros(shape=(sample_count, 1, 1, 512))
        labels = np.zeros(shape=(sample_count))
        generator = datagen.flow_from_directory(directory, target_size=(SIZE, SIZE), batch_size=batch_size,
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

    train_features, train_labels = extract_features(train_dir, 12)
    validation_features, validation_labels = extract_features(validation_dir, 12)
    assert sorted(train_labels.tolist()) == [0.0] * 6 + [1.0] * 6
    assert np.abs(train_features).sum() > 0
    train_features = np.reshape(train_features, (12, 1 * 1 * 512))
    validation_features = np.reshape(validation_features, (12, 1 * 1 * 512))

    model = models.Sequential()
    model.add(layers.Dense(256, activation='relu', input_dim=1 * 1 * 512))
    model.add(layers.Dropout(0.5))
    model.add(layers.Dense(1, activation='sigmoid'))
    model.compile(optimizer=optimizers.RMSprop(lr=2e-5), loss='binary_crossentropy', metrics=['acc'])
    history = model.fit(train_features, train_labels, epochs=3, batch_size=4,
                        validation_data=(validation_features, validation_labels), verbose=0)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]


def test_conv_base_as_a_frozen_layer_then_fine_tuned_from_block5_conv1(tmp_path):
    train_dir, validation_dir, test_dir = make_split(str(tmp_path))
    set_random_seed(1)
    conv_base = VGG16(weights=None, include_top=False, input_shape=(SIZE, SIZE, 3))

    model = models.Sequential()
    model.add(conv_base)
    model.add(layers.Flatten())
    model.add(layers.Dense(256, activation='relu'))
    model.add(layers.Dense(1, activation='sigmoid'))
    assert len(model.trainable_weights) == 30
    conv_base.trainable = False
    assert len(model.trainable_weights) == 4

    train_datagen = ImageDataGenerator(rescale=1. / 255, rotation_range=40, width_shift_range=0.2,
                                       height_shift_range=0.2, shear_range=0.2, zoom_range=0.2,
                                       horizontal_flip=True, fill_mode='nearest')
    test_datagen = ImageDataGenerator(rescale=1. / 255)
    train_generator = train_datagen.flow_from_directory(train_dir, target_size=(SIZE, SIZE), batch_size=4,
                                                        class_mode='binary')
    validation_generator = test_datagen.flow_from_directory(validation_dir, target_size=(SIZE, SIZE),
                                                            batch_size=4, class_mode='binary')
    model.compile(loss='binary_crossentropy', optimizer=optimizers.RMSprop(learning_rate=2e-5), metrics=['acc'])
    base_before = [weights_of(layer) for layer in conv_base.layers]
    head_before = weights_of(model.layers[2])
    model.fit_generator(train_generator, steps_per_epoch=2, epochs=1, validation_data=validation_generator,
                        validation_steps=1, verbose=0)
    for layer, before in zip(conv_base.layers, base_before):
        for now, then in zip(weights_of(layer), before):
            np.testing.assert_array_equal(now, then, err_msg=layer.name)
    assert any(not np.array_equal(a, b) for a, b in zip(weights_of(model.layers[2]), head_before))

    conv_base.trainable = True
    set_trainable = False
    for layer in conv_base.layers:
        if layer.name == 'block5_conv1':
            set_trainable = True
        if set_trainable:
            layer.trainable = True
        else:
            layer.trainable = False
    assert len(model.trainable_weights) == 10
    model.compile(loss='binary_crossentropy', optimizer=optimizers.RMSprop(learning_rate=1e-5), metrics=['acc'])
    base_before = {layer.name: weights_of(layer) for layer in conv_base.layers}
    model.fit_generator(train_generator, steps_per_epoch=2, epochs=1, validation_data=validation_generator,
                        validation_steps=1, verbose=0)
    for layer in conv_base.layers:
        changed = [not np.array_equal(a, b) for a, b in zip(weights_of(layer), base_before[layer.name])]
        if layer.name.startswith("block5_conv"):
            assert any(changed), layer.name
        else:
            assert not any(changed), layer.name

    test_generator = test_datagen.flow_from_directory(test_dir, target_size=(SIZE, SIZE), batch_size=4,
                                                      class_mode='binary')
    test_loss, test_acc = model.evaluate_generator(test_generator, steps=3)
    assert np.isfinite(test_loss) and 0.0 <= test_acc <= 1.0
    assert [t for t in threading.enumerate() if t.name.startswith("fastnn-batches")] == []
