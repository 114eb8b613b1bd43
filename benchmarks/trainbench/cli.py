"""Checks of the benchmark scripts' command lines, each a parser error naming the option."""


def names(parser, option, text, known):
    """The comma-separated names in `text` (the value of `option`), each one of `known`."""
    chosen = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in chosen if name not in known]
    if unknown or not chosen:
        parser.error(f"{option}: unknown name(s) {unknown or [text]}; choose from {list(known)}")
    return chosen


def at_least_one(parser, args, attributes):
    """Every one of `attributes` of `args` is >= 1."""
    for name in attributes:
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1, received: {getattr(args, name)}")
