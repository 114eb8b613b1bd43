"""The functional API: the book's chapter 7.1 listings (with keras -> fastnn), 5.4's activation
model, symbolic tensors, nested and shared layers, and the errors a wrong graph gets."""
import numpy as np
import pytest

import fastnn
from fastnn import Input, layers, models
from fastnn.models import Model
from fastnn.utils import set_random_seed, to_categorical


def _rng(seed=0):
    return np.random.default_rng(seed)


# 7.1.1: a Sequential model and its functional equivalent ---------------------------------------
def test_functional_equivalent_of_a_sequential_model_computes_the_same():
    set_random_seed(0)
    seq_model = models.Sequential([layers.Dense(32, activation="relu", input_shape=(64,)),
                                   layers.Dense(32, activation="relu"), layers.Dense(10, activation="softmax")])
    input_tensor = Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(input_tensor)
    x = layers.Dense(32, activation="relu")(x)
    output_tensor = layers.Dense(10, activation="softmax")(x)
    model = Model(input_tensor, output_tensor)
    model.set_weights(seq_model.get_weights())
    lines = []
    model.summary(print_fn=lines.append)
    assert any("(None, 10)" in line and "330" in line for line in lines)
    assert "Total params: 3,466" in "\n".join(lines)
    x_train, y_train = _rng().random((100, 64)).astype(np.float32), _rng(1).random((100, 10)).astype(np.float32)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    model.fit(x_train, y_train, epochs=2, batch_size=32, verbose=0)
    score = model.evaluate(x_train, y_train, verbose=0)
    assert np.isfinite(score)
    seq_model.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(x_train, verbose=0), seq_model.predict(x_train, verbose=0))


def test_a_graph_not_connected_to_its_inputs_is_refused_naming_the_missing_input():
    input_tensor = Input(shape=(64,), name="input_tensor")
    output_tensor = layers.Dense(10, name="classifier")(layers.Dense(32)(input_tensor))
    unrelated_input = Input(shape=(32,), name="unrelated")
    with pytest.raises(ValueError, match=r"Graph disconnected.*'input_tensor'.*dense.*inputs are: 'unrelated'"):
        Model(unrelated_input, output_tensor)


# 7.1.2: a multi-input model (question answering) --------------------------------------------------
def _qa_model(text_features=40, question_features=30, answers=12):
    text_input = Input(shape=(text_features,), name="text")
    encoded_text = layers.Dense(32, activation="relu")(text_input)
    question_input = Input(shape=(question_features,), name="question")
    encoded_question = layers.Dense(16, activation="relu")(question_input)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answers, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    return model


def test_multi_input_question_answering_trains_from_a_list_and_a_dict():
    set_random_seed(1)
    model = _qa_model()
    rng = _rng()
    text, question = rng.random((200, 40)).astype(np.float32), rng.random((200, 30)).astype(np.float32)
    answers = to_categorical(rng.integers(0, 12, 200), 12)
    history = model.fit([text, question], answers, epochs=2, batch_size=64, verbose=0)
    assert set(history.history) == {"loss", "acc"}
    history = model.fit({"text": text, "question": question}, answers, epochs=2, batch_size=64, verbose=0)
    assert history.history["loss"][1] < history.history["loss"][0]
    assert model.input_shape == [(None, 40), (None, 30)] and model.output_shape == (None, 12)
    assert [layer.name for layer in model.layers[:2]] == ["text", "question"]
    with pytest.raises(ValueError, match="'questoin'.*not the name of one of the model's inputs.*'text', 'question'"):
        model.predict({"text": text, "questoin": question}, verbose=0)
    with pytest.raises(ValueError, match=r"Input 'question' of model .* expected shape \(None, 30\).*\(None, 29\)"):
        model.predict([text, question[:, :29]], verbose=0)
    with pytest.raises(ValueError, match="2 inputs"):
        model.predict(text, verbose=0)


@pytest.mark.skipif(not (hasattr(layers, "Embedding") and hasattr(layers, "LSTM")), reason="needs Embedding and LSTM")
def test_the_books_question_answering_listing_with_embeddings_and_lstms():
    text_vocabulary_size, question_vocabulary_size, answer_vocabulary_size = 100, 100, 20
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(text_vocabulary_size, 16)(text_input)
    encoded_text = layers.LSTM(8)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(question_vocabulary_size, 8)(question_input)
    encoded_question = layers.LSTM(4)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answer_vocabulary_size, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])
    text = np.random.randint(1, text_vocabulary_size, size=(64, 10))
    question = np.random.randint(1, question_vocabulary_size, size=(64, 5))
    answers = to_categorical(np.random.randint(0, answer_vocabulary_size, 64), answer_vocabulary_size)
    model.fit([text, question], answers, epochs=1, batch_size=32, verbose=0)
    model.fit({"text": text, "question": question}, answers, epochs=1, batch_size=32, verbose=0)


# 7.1.3: a multi-output model ------------------------------------------------------------------------
def _multi_output_model():
    posts_input = Input(shape=(24,), name="posts")
    x = layers.Dense(32, activation="relu")(posts_input)
    x = layers.Dense(16, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(5, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    return Model(posts_input, [age_prediction, income_prediction, gender_prediction])


def _multi_output_data(n=120):
    rng = _rng(3)
    posts = rng.random((n, 24)).astype(np.float32)
    age = (posts[:, :3].sum(axis=1, keepdims=True) * 10).astype(np.float32)
    income = to_categorical(posts[:, 3:8].argmax(axis=1), 5)
    gender = (posts[:, 8:9] > 0.5).astype(np.float32)
    return posts, age, income, gender


def test_multi_output_losses_as_a_list_with_weights_and_as_a_dict_train_the_same():
    posts, age, income, gender = _multi_output_data()
    results = []
    for form in ("list", "dict"):
        set_random_seed(5)
        model = _multi_output_model()
        if form == "list":
            model.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy", "binary_crossentropy"],
                          loss_weights=[0.25, 1., 10.])
            history = model.fit(posts, [age, income, gender], epochs=3, batch_size=32, verbose=0)
        else:
            model.compile(optimizer="rmsprop",
                          loss={"age": "mse", "income": "categorical_crossentropy", "gender": "binary_crossentropy"},
                          loss_weights={"age": 0.25, "income": 1., "gender": 10.})
            history = model.fit(posts, {"age": age, "income": income, "gender": gender}, epochs=3, batch_size=32,
                                verbose=0)
        results.append((model.get_weights(), history.history))
    assert all(np.array_equal(a, b) for a, b in zip(results[0][0], results[1][0]))
    logs = results[0][1]
    assert list(logs) == ["loss", "age_loss", "income_loss", "gender_loss"]
    total = 0.25 * np.array(logs["age_loss"]) + np.array(logs["income_loss"]) + 10 * np.array(logs["gender_loss"])
    np.testing.assert_allclose(logs["loss"], total, rtol=1e-5)


def test_multi_output_metrics_and_validation_keys_follow_keras():
    posts, age, income, gender = _multi_output_data()
    model = _multi_output_model()
    model.compile(optimizer="adam", loss=["mse", "categorical_crossentropy", "binary_crossentropy"],
                  metrics={"income": ["accuracy"], "gender": "accuracy"})
    history = model.fit(posts, [age, income, gender], epochs=1, batch_size=40, verbose=0, validation_split=0.25)
    assert set(history.history) == {
        "loss", "age_loss", "income_loss", "gender_loss", "income_accuracy", "gender_accuracy",
        "val_loss", "val_age_loss", "val_income_loss", "val_gender_loss", "val_income_accuracy",
        "val_gender_accuracy"}
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])  # one loss and one metric list for every output
    logs = model.evaluate(posts, [age, income, gender], verbose=0, return_dict=True)
    assert set(logs) == {"loss", "age_loss", "income_loss", "gender_loss", "age_mae", "income_mae", "gender_mae"}
    predictions = model.predict(posts, verbose=0)
    assert [p.shape for p in predictions] == [(120, 1), (120, 5), (120, 1)]


def test_multi_output_errors_name_the_output():
    posts, age, income, gender = _multi_output_data()
    model = _multi_output_model()
    with pytest.raises(ValueError, match="'ages'.*not the name of an output.*'age', 'income', 'gender'"):
        model.compile(loss={"ages": "mse"})
    with pytest.raises(ValueError, match="list of 2.*3 outputs"):
        model.compile(loss=["mse", "mse"])
    model.compile(loss={"age": "mse", "gender": "binary_crossentropy"})  # income is not trained
    model.fit(posts, {"age": age, "gender": gender}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="'gender'.*missing"):
        model.fit(posts, {"age": age}, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="'genders'.*not the name of one of the model's outputs"):
        model.fit(posts, {"age": age, "genders": gender}, epochs=1, verbose=0)


# 7.1.4: an Inception-style module and a residual connection -----------------------------------------
def test_inception_branches_concatenated_train_on_images():
    set_random_seed(2)
    x = Input(shape=(8, 8, 3))
    branch_a = layers.Conv2D(4, 1, activation="relu", strides=2)(x)
    branch_b = layers.Conv2D(4, 1, activation="relu")(x)
    branch_b = layers.Conv2D(4, 3, activation="relu", strides=2, padding="same")(branch_b)
    branch_c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    branch_c = layers.Conv2D(4, 3, activation="relu", padding="same")(branch_c)
    branch_d = layers.Conv2D(4, 1, activation="relu")(x)
    branch_d = layers.Conv2D(4, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(4, 3, activation="relu", strides=2, padding="same")(branch_d)
    output = layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)
    assert output.shape == (None, 4, 4, 16)
    model = Model(x, layers.Dense(3, activation="softmax")(layers.GlobalAveragePooling2D()(output)))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    images = _rng().random((48, 8, 8, 3)).astype(np.float32)
    labels = images.reshape(48, -1)[:, :3].argmax(axis=1)
    history = model.fit(images, labels, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_residual_connections_identity_and_projected():
    x = Input(shape=(6, 6, 4))
    y = layers.Conv2D(4, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(4, 3, activation="relu", padding="same")(y)
    y = layers.add([y, x])  # the identity residual
    z = layers.Conv2D(8, 3, activation="relu", padding="same")(y)
    z = layers.MaxPooling2D(2, strides=2)(z)
    residual = layers.Conv2D(8, 1, strides=2, padding="same")(y)  # projected to the pooled shape
    z = layers.add([z, residual])
    model = Model(x, layers.Dense(1)(layers.Flatten()(z)))
    assert model.output_shape == (None, 1)
    images = _rng().random((10, 6, 6, 4)).astype(np.float32)
    conv1, conv2 = model.layers[1], model.layers[2]
    assert model.get_layer(index=3).output.shape == (None, 6, 6, 4)
    manual = conv2(conv1(images)).data + images
    first_add = Model(x, y)
    np.testing.assert_array_equal(first_add.predict(images, verbose=0), manual)


# 7.1.5: layer weight sharing ------------------------------------------------------------------------
def test_a_shared_layer_called_twice_has_one_set_of_weights():
    shared = layers.Dense(8, activation="relu", name="shared_encoder")
    left_input, right_input = Input(shape=(5, 4), name="left"), Input(shape=(5, 4), name="right")
    left_output = layers.Flatten()(shared(left_input))
    right_output = layers.Flatten()(shared(right_input))
    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    model = Model([left_input, right_input], predictions)
    assert sum(layer is shared for layer in model.layers) == 1
    assert len(shared.inbound_nodes) == 2 and shared.get_output_at(1) is right_output.node.input_tensors[0]
    assert len(model.weights) == 2 + 2
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    rng = _rng()
    left, right = rng.random((64, 5, 4)).astype(np.float32), rng.random((64, 5, 4)).astype(np.float32)
    target = (left.sum(axis=(1, 2)) > right.sum(axis=(1, 2))).astype(np.float32)
    before = shared.get_weights()
    model.fit([left, right], target, epochs=2, batch_size=16, verbose=0)
    assert not np.array_equal(before[0], shared.get_weights()[0])
    lines = []
    model.summary(print_fn=lines.append)
    row = next(i for i, line in enumerate(lines) if line.startswith("shared_encoder (Dense)"))
    assert "left[0][0]" in lines[row] and "right[0][0]" in lines[row + 1]


# 7.1.6: models as layers ----------------------------------------------------------------------------
def test_a_model_is_called_as_a_layer_with_shared_weights_both_ways():
    base_input = Input(shape=(6, 6, 3))
    features = layers.GlobalAveragePooling2D()(layers.Conv2D(4, 3, activation="relu")(base_input))
    base = Model(base_input, features, name="base")
    left_input, right_input = Input(shape=(6, 6, 3)), Input(shape=(6, 6, 3))
    left_features, right_features = base(left_input), base(right_input)
    merged = layers.concatenate([left_features, right_features], axis=-1)
    siamese = Model([left_input, right_input], layers.Dense(1, activation="sigmoid")(merged))
    assert base in siamese.layers and len(siamese.weights) == 4
    images = _rng().random((8, 6, 6, 3)).astype(np.float32)
    np.testing.assert_array_equal(Model(left_input, left_features).predict(images, verbose=0),
                                  base.predict(images, verbose=0))
    # a Sequential inside a Model, and a Model inside a Sequential
    stack = models.Sequential([layers.Flatten(input_shape=(6, 6, 3)), layers.Dense(5, activation="relu")])
    inputs = Input(shape=(6, 6, 3))
    outer = Model(inputs, layers.Dense(2)(stack(inputs)))
    around = models.Sequential([outer, layers.Activation("softmax")])
    around.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    around.fit(images, np.array([0, 1] * 4), epochs=1, verbose=0)
    assert around.output_shape == (None, 2) and len(around.weights) == 4
    expected = fastnn.softmax(fastnn.Tensor(outer.predict(images, verbose=0))).data
    np.testing.assert_allclose(around.predict(images, verbose=0), expected, rtol=1e-6)


# 5.4: the activation model -------------------------------------------------------------------------
def test_an_activation_model_from_a_built_sequential_returns_every_layers_output():
    model = models.Sequential()
    model.add(layers.Conv2D(4, (3, 3), activation="relu", input_shape=(12, 12, 3)))
    model.add(layers.MaxPooling2D((2, 2)))
    model.add(layers.Conv2D(6, (3, 3), activation="relu"))
    model.add(layers.Flatten())
    model.add(layers.Dense(2, activation="softmax"))
    layer_outputs = [layer.output for layer in model.layers[:3]]
    activation_model = models.Model(inputs=model.input, outputs=layer_outputs)
    img_tensor = _rng().random((1, 12, 12, 3)).astype(np.float32)
    activations = activation_model.predict(img_tensor, verbose=0)
    assert [a.shape for a in activations] == [(1, 10, 10, 4), (1, 5, 5, 4), (1, 3, 3, 6)]
    first_layer_activation = activations[0]
    np.testing.assert_array_equal(first_layer_activation, model.layers[0](img_tensor).data)
    assert first_layer_activation[0, :, :, 3].shape == (10, 10)
    np.testing.assert_array_equal(Model(model.input, model.output).predict(img_tensor, verbose=0),
                                  model.predict(img_tensor, verbose=0))


# symbolic tensors ----------------------------------------------------------------------------------------
def test_symbolic_tensors_have_shapes_and_support_the_books_slicing_and_arithmetic():
    inputs = Input(shape=(5, 5, 3), name="image")
    assert inputs.shape == (None, 5, 5, 3) and inputs.dtype == "float32" and inputs.name == "image"
    conv = layers.Conv2D(4, 3, name="conv")
    feature = conv(inputs)
    sliced = feature[:, :, :, 2]
    assert sliced.shape == (None, 3, 3)
    scaled = 2.0 * feature - 1 + feature / 4
    assert scaled.shape == (None, 3, 3, 4)
    assert conv.output is feature and conv.input is inputs
    model = Model(inputs, [sliced, scaled])
    assert [layer.name for layer in model.layers] == ["image", "conv"]  # operations are not layers
    images = _rng().random((2, 5, 5, 3)).astype(np.float32)
    got_slice, got_scaled = model.predict(images, verbose=0)
    direct = conv(images).data
    np.testing.assert_array_equal(got_slice, direct[:, :, :, 2])
    np.testing.assert_allclose(got_scaled, 2.0 * direct - 1 + direct / 4, rtol=1e-6)
    with pytest.raises(TypeError, match="symbolic tensor.*no values"):
        np.asarray(feature)
    with pytest.raises(TypeError, match="symbolic tensor"):
        bool(feature)


def test_input_arguments_and_the_sequential_input_forms():
    tensor = Input(shape=(None,), dtype="int32", name="tokens")
    assert tensor.shape == (None, None) and tensor.dtype == "int32"
    batched = layers.Input(shape=(3,), batch_size=8)
    assert batched.shape == (8, 3)
    stack = models.Sequential([layers.Input(shape=(6,)), layers.Dense(2)])
    assert stack.input.shape == (None, 6) and stack.output.shape == (None, 2)
    assert stack.layers[0].output is stack.output
    with pytest.raises(ValueError, match="shape of one sample"):
        layers.Input()
    with pytest.raises(ValueError, match="dtype"):
        layers.Input(shape=(3,), dtype="complex64")


def test_get_layer_by_name_and_index_and_its_errors():
    inputs = Input(shape=(4,), name="x")
    outputs = layers.Dense(2, name="out")(layers.Dense(3, name="hidden")(inputs))
    model = Model(inputs=inputs, outputs=outputs, name="tiny")
    assert model.get_layer("hidden").name == "hidden" and model.get_layer(index=2).name == "out"
    assert model.get_layer(index=0).name == "x"
    with pytest.raises(ValueError, match="No such layer: 'hiden'.*\\['x', 'hidden', 'out'\\]"):
        model.get_layer("hiden")
    with pytest.raises(ValueError, match="index 5 but model 'tiny' only has 3 layers"):
        model.get_layer(index=5)
    assert model.inputs == [inputs] and model.outputs == [outputs]
    assert model.input is inputs and model.output is outputs


def test_duplicate_layer_names_and_bad_arguments_are_refused():
    inputs = Input(shape=(4,))
    a = layers.Dense(2, name="same")(inputs)
    b = layers.Dense(2, name="same")(inputs)
    with pytest.raises(ValueError, match="'same' is used 2 times"):
        Model(inputs, [a, b])
    with pytest.raises(TypeError, match="symbolic tensors"):
        Model(np.zeros((2, 4)), a)
    with pytest.raises(ValueError, match="needs inputs and outputs"):
        Model()
    with pytest.raises(ValueError, match=r"Input 'input_layer.*' of model .* expected shape \(None, 4\).*\(None, 5\)"):
        Model(inputs, a)(np.zeros((2, 5), np.float32))


def test_dict_inputs_and_outputs_by_name():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    joined = layers.concatenate([a, b])
    model = Model(inputs={"a": a, "b": b}, outputs={"sum": layers.Dense(1, name="sum_head")(joined),
                                                     "prob": layers.Dense(2, activation="softmax")(joined)})
    rng = _rng()
    xa, xb = rng.random((16, 3)).astype(np.float32), rng.random((16, 2)).astype(np.float32)
    model.compile(optimizer="sgd", loss={"sum": "mse", "prob": "sparse_categorical_crossentropy"})
    history = model.fit({"a": xa, "b": xb}, {"sum": xa.sum(axis=1), "prob": (xb[:, 0] > 0.5).astype(int)},
                        epochs=1, verbose=0)
    assert set(history.history) == {"loss", "sum_loss", "prob_loss"}
    predicted = model.predict({"b": xb, "a": xa}, verbose=0)
    assert set(predicted) == {"sum", "prob"} and predicted["prob"].shape == (16, 2)
    direct = model({"a": xa, "b": xb})
    np.testing.assert_array_equal(direct["sum"].data, predicted["sum"])


def test_data_parallel_training_refuses_several_inputs_clearly(monkeypatch):
    from fastnn.distribution import active

    model = _qa_model()
    monkeypatch.setattr(active, "_active", [object()])  # a distribution in effect
    rng = _rng()
    with pytest.raises(ValueError, match="DataParallel trains models with one input and one output.*2 inputs"):
        model.fit([rng.random((8, 40)), rng.random((8, 30))], to_categorical(rng.integers(0, 12, 8), 12), verbose=0)
