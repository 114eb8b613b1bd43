"""Turning identifiers (names, {'class_name', 'config'} dicts) into objects, with uniform errors.

activations, initializers, losses and optimizers all accept the same kinds of identifier;
the rules for looking a name up and the wording of the errors live here.
"""


def plural(kind):
    """'loss' -> 'losses', 'activation' -> 'activations'."""
    return kind + ("es" if kind.endswith("s") else "s")


def lookup(kind, name, table, *, exact=None, known=None):
    """table[name.lower()], else exact[name], else ValueError listing the known names.

    known is the list of names the error shows, in that order (default: table's keys).
    """
    found = table.get(name.lower())
    if found is None and exact is not None:
        found = exact.get(name)
    if found is None:
        names = ", ".join(table if known is None else known)
        raise ValueError(f"Unknown {kind}: {name!r}. Known {plural(kind)}: {names}")
    return found


def from_class_config(kind, config, classes):
    """classes[config['class_name']].from_config(config['config']), or ValueError."""
    cls = classes.get(config.get("class_name"))
    if cls is None:
        raise ValueError(f"Unknown {kind} class in config: {config!r}")
    return cls.from_config(config.get("config", {}))


def get_instance(kind, identifier, names, classes, known=None):
    """An object from a name (names[name.lower()] or classes[name], called with no arguments),
    a {'class_name', 'config'} dict of one of classes, or a callable, returned as it is."""
    if isinstance(identifier, str):
        return lookup(kind, identifier, names, exact=classes, known=known)()
    if isinstance(identifier, dict):
        return from_class_config(kind, identifier, classes)
    if callable(identifier):
        return identifier
    raise not_understood(kind, identifier)


def not_understood(kind, identifier, argument=None):
    """The ValueError for an identifier of an unusable type; argument names it as 'argument=value'."""
    received = repr(identifier) if argument is None else f"{argument}={identifier!r}"
    return ValueError(f"Could not interpret {kind} identifier. Received: {received}")


class Configurable:
    """get_config() gives the constructor arguments; from_config and repr are built from it."""

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
