"""Chapter 7.1 (listings 7.1-7.6 and the section's snippets): the functional API. A Sequential
model and its functional twin, a two-input question-answering model, a three-output model of
a person's age, income and gender with a loss list and loss weights, an Inception module, residual
connections, a shared LSTM (siamese), and a model called as a layer.

    python examples/ch7_1_functional_api.py [--epochs 10] [--samples 1000] [--threads N] [--seed S]
                                            [--plot-model graph.png]

As in the book, every model trains on random NumPy arrays of the shapes the listings give; there
is no data set to read. --samples sets how many (the book's 1000).
"""
import numpy as np

from fastnn import Input, applications, layers
from fastnn.models import Model, Sequential
from fastnn.utils import to_categorical

import _cli


def parse_args(argv=None):
    parser = _cli.make_parser(__doc__, epochs=10, data_help=None, plot_help=None)
    parser.add_argument("--plot-model", metavar="FILE", default=None,
                        help="draw the models' graphs to PNGs named after this one (needs pydot and graphviz)")
    parser.add_argument("--samples", type=_cli.positive_int, default=1000)
    parser.add_argument("--image-size", type=_cli.positive_int, default=250,
                        help="height and width of the pictures 7.1.7's Xception base sees (the book's 250)")
    return parser.parse_args(argv)


def sequential_and_functional(args):
    # Section 7.1.1: a Sequential model and its equivalent in the functional API
    seq_model = Sequential()
    seq_model.add(layers.Dense(32, activation="relu", input_shape=(64,)))
    seq_model.add(layers.Dense(32, activation="relu"))
    seq_model.add(layers.Dense(10, activation="softmax"))

    input_tensor = Input(shape=(64,))
    x = layers.Dense(32, activation="relu")(input_tensor)
    x = layers.Dense(32, activation="relu")(x)
    output_tensor = layers.Dense(10, activation="softmax")(x)
    model = Model(input_tensor, output_tensor)
    model.summary()

    # A model whose output cannot be reached from its input is refused, naming what is missing
    unrelated_input = Input(shape=(32,))
    try:
        Model(unrelated_input, output_tensor)
    except (ValueError, RuntimeError) as error:
        print("Disconnected graph refused:", str(error).splitlines()[0])

    model.compile(optimizer="rmsprop", loss="categorical_crossentropy")
    x_train = np.random.random((args.samples, 64))
    y_train = np.random.random((args.samples, 10))
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=128)
    score = model.evaluate(x_train, y_train)
    print("functional model score:", score)


def question_answering(args):
    # Listing 7.1: functional API implementation of a two-input question-answering model.
    # The book printed Embedding(64, text_vocabulary_size); its code repository has the arguments
    # in Embedding's order (input_dim, output_dim), used here.
    text_vocabulary_size = 10000
    question_vocabulary_size = 10000
    answer_vocabulary_size = 500
    text_input = Input(shape=(None,), dtype="int32", name="text")
    embedded_text = layers.Embedding(text_vocabulary_size, 64)(text_input)
    encoded_text = layers.LSTM(32)(embedded_text)
    question_input = Input(shape=(None,), dtype="int32", name="question")
    embedded_question = layers.Embedding(question_vocabulary_size, 32)(question_input)
    encoded_question = layers.LSTM(16)(embedded_question)
    concatenated = layers.concatenate([encoded_text, encoded_question], axis=-1)
    answer = layers.Dense(answer_vocabulary_size, activation="softmax")(concatenated)
    model = Model([text_input, question_input], answer)
    model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["acc"])

    # Listing 7.2: feeding data to a multi-input model (answers one-hot encoded, as in the
    # book's code repository; the printed randint(0, 1, ...) makes every target zero)
    num_samples = args.samples
    max_length = 100
    text = np.random.randint(1, text_vocabulary_size, size=(num_samples, max_length))
    question = np.random.randint(1, question_vocabulary_size, size=(num_samples, max_length))
    answers = np.random.randint(answer_vocabulary_size, size=(num_samples))
    answers = to_categorical(answers, answer_vocabulary_size)
    model.fit([text, question], answers, epochs=args.epochs, batch_size=128)
    history = model.fit({"text": text, "question": question}, answers, epochs=args.epochs, batch_size=128)
    print("question answering, inputs by name: loss %.4f" % history.history["loss"][-1])
    return model


def age_income_gender(args):
    # Listing 7.3: functional API implementation of a three-output model (Embedding's arguments
    # in its order, as for listing 7.1)
    vocabulary_size = 50000
    num_income_groups = 10
    posts_input = Input(shape=(None,), dtype="int32", name="posts")
    embedded_posts = layers.Embedding(vocabulary_size, 256)(posts_input)
    x = layers.Conv1D(128, 5, activation="relu")(embedded_posts)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.MaxPooling1D(5)(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.Conv1D(256, 5, activation="relu")(x)
    x = layers.GlobalMaxPooling1D()(x)
    x = layers.Dense(128, activation="relu")(x)
    age_prediction = layers.Dense(1, name="age")(x)
    income_prediction = layers.Dense(num_income_groups, activation="softmax", name="income")(x)
    gender_prediction = layers.Dense(1, activation="sigmoid", name="gender")(x)
    model = Model(posts_input, [age_prediction, income_prediction, gender_prediction])

    # The book gives no data for this model: posts of 500 words, ages, income groups and genders
    num_samples = args.samples
    posts = np.random.randint(1, vocabulary_size, size=(num_samples, 500))
    age_targets = np.random.uniform(18, 80, size=(num_samples, 1))
    income_targets = to_categorical(np.random.randint(num_income_groups, size=num_samples), num_income_groups)
    gender_targets = np.random.randint(0, 2, size=(num_samples, 1))

    # Listing 7.4: compilation options of a multi-output model: multiple losses
    model.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy", "binary_crossentropy"])
    model.compile(optimizer="rmsprop", loss={"age": "mse", "income": "categorical_crossentropy",
                                             "gender": "binary_crossentropy"})

    # Listing 7.5: compilation options of a multi-output model: loss weighting
    model.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy", "binary_crossentropy"],
                  loss_weights=[0.25, 1., 10.])
    model.compile(optimizer="rmsprop", loss={"age": "mse", "income": "categorical_crossentropy",
                                             "gender": "binary_crossentropy"},
                  loss_weights={"age": 0.25, "income": 1., "gender": 10.})

    # Listing 7.6: feeding data to a multi-output model
    model.fit(posts, [age_targets, income_targets, gender_targets], epochs=args.epochs, batch_size=64)
    history = model.fit(posts, {"age": age_targets, "income": income_targets, "gender": gender_targets},
                        epochs=args.epochs, batch_size=64)
    print("multi-output history keys:", sorted(history.history))
    return model


def inception_module(args):
    # Section 7.1.4: an Inception module. As printed, the branches use 'valid' padding and come out
    # with different sizes, which concatenate refuses (Keras too); with padding='same' they agree.
    x = Input(shape=(17, 17, 64))
    try:
        branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
        branch_b = layers.Conv2D(128, 1, activation="relu")(x)
        branch_b = layers.Conv2D(128, 3, activation="relu", strides=2)(branch_b)
        layers.concatenate([branch_a, branch_b], axis=-1)
    except ValueError as error:
        print("Inception branches as printed:", str(error).splitlines()[0])

    branch_a = layers.Conv2D(128, 1, activation="relu", strides=2)(x)
    branch_b = layers.Conv2D(128, 1, activation="relu")(x)
    branch_b = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_b)
    branch_c = layers.AveragePooling2D(3, strides=2, padding="same")(x)
    branch_c = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_c)
    branch_d = layers.Conv2D(128, 1, activation="relu")(x)
    branch_d = layers.Conv2D(128, 3, activation="relu", padding="same")(branch_d)
    branch_d = layers.Conv2D(128, 3, activation="relu", strides=2, padding="same")(branch_d)
    output = layers.concatenate([branch_a, branch_b, branch_c, branch_d], axis=-1)
    model = Model(x, layers.Dense(1)(layers.GlobalAveragePooling2D()(output)))
    model.compile(optimizer="rmsprop", loss="mse")
    images = np.random.random((max(8, args.samples // 50), 17, 17, 64))
    model.fit(images, np.random.random((len(images), 1)), epochs=args.epochs, batch_size=8, verbose=0)
    print("Inception module output:", tuple(output.shape))


def residual_connections(args):
    # Section 7.1.5: a residual connection with identical shapes, then with a linear projection
    x = Input(shape=(16, 16, 128))
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.add([y, x])
    identity_output = y

    y = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    y = layers.Conv2D(128, 3, activation="relu", padding="same")(y)
    y = layers.MaxPooling2D(2, strides=2)(y)
    residual = layers.Conv2D(128, 1, strides=2, padding="same")(x)
    y = layers.add([y, residual])
    model = Model(x, [identity_output, y])
    outputs = model.predict(np.random.random((2, 16, 16, 128)))
    print("residual outputs:", [output.shape for output in outputs])


def shared_lstm(args):
    # Section 7.1.6: layer weight sharing (a siamese LSTM)
    lstm = layers.LSTM(32)
    left_input = Input(shape=(None, 128))
    left_output = lstm(left_input)
    right_input = Input(shape=(None, 128))
    right_output = lstm(right_input)
    merged = layers.concatenate([left_output, right_output], axis=-1)
    predictions = layers.Dense(1, activation="sigmoid")(merged)
    model = Model([left_input, right_input], predictions)
    model.compile(optimizer="rmsprop", loss="binary_crossentropy")
    count = max(16, args.samples // 10)
    left_data = np.random.random((count, 20, 128))
    right_data = np.random.random((count, 20, 128))
    targets = np.random.randint(0, 2, size=(count, 1))
    model.fit([left_data, right_data], targets, epochs=args.epochs, verbose=0)
    print("shared LSTM: one set of weights,", len(lstm.weights), "arrays, used by",
          sum(1 for layer in model.layers if layer is lstm), "layer of the model")


def model_as_layer(args):
    # Section 7.1.7: models as layers, as printed (the book builds the model and does not train it;
    # one pair of random pictures goes through it here).
    xception_base = applications.Xception(weights=None, include_top=False)

    left_input = Input(shape=(args.image_size, args.image_size, 3))
    right_input = Input(shape=(args.image_size, args.image_size, 3))

    left_features = xception_base(left_input)
    right_input_features = xception_base(right_input)

    merged_features = layers.concatenate([left_features, right_input_features], axis=-1)
    model = Model([left_input, right_input], merged_features)
    pair = [np.random.random((1, args.image_size, args.image_size, 3)) for _ in range(2)]
    print("model as a layer: Xception base shared by both inputs,", xception_base.count_params(),
          "parameters; merged features", model.predict(pair, verbose=0).shape)
    return model


def main(argv=None):
    args = parse_args(argv)
    _cli.start(args)
    sequential_and_functional(args)
    qa_model = question_answering(args)
    multi_output = age_income_gender(args)
    inception_module(args)
    residual_connections(args)
    shared_lstm(args)
    siamese = model_as_layer(args)
    if args.plot_model:
        from fastnn.utils import plot_model

        for name, model in (("question_answering", qa_model), ("age_income_gender", multi_output),
                            ("siamese", siamese)):
            root, extension = args.plot_model.rsplit(".", 1) if "." in args.plot_model else (args.plot_model, "png")
            try:
                plot_model(model, to_file=f"{root}_{name}.{extension}", show_shapes=True)
                print(f"{name}: graph saved to {root}_{name}.{extension}")
            except ImportError as error:
                print(f"not plotting the {name} graph: {error}")
                break


if __name__ == "__main__":
    main()
