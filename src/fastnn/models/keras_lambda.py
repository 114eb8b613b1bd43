"""The Python function of a Keras Lambda layer, which Keras stores as marshalled bytecode
(base64 of marshal.dumps of the code object, with its defaults and closure values).

Turning it back into a function runs code from the file when the layer is called, so it is
done only for load_model(..., safe_mode=False). The bytecode is only readable by the Python
version that wrote it.
"""
import base64
import binascii
import builtins
import marshal
import types

from .. import ops


def function_from_keras(value, where, custom_objects):
    """A function from Keras's serialized form (a '__lambda__' or a named function in custom_objects)."""
    if not isinstance(value, dict):
        raise ValueError(f"{where}: the function must be a serialized object, found {value!r:.80}")
    config = value.get("config")
    if value.get("class_name") == "function" and isinstance(config, str):
        if config in custom_objects:
            return custom_objects[config]
        raise ValueError(f"{where}: the function {config!r} is given by name only; pass it through "
                         f"custom_objects={{'{config}': function}}")
    if value.get("class_name") != "__lambda__" or not isinstance(config, dict):
        raise ValueError(f"{where}: the function is stored as {value.get('class_name')!r}, which fastnn cannot read")
    try:
        code = marshal.loads(base64.b64decode(config["code"].encode("ascii")))
    except (KeyError, AttributeError, ValueError, EOFError, TypeError, binascii.Error) as err:
        raise ValueError(f"{where}: the function's bytecode cannot be read by this Python ({err}); it was "
                         "probably written by another Python version") from None
    if not isinstance(code, types.CodeType):
        raise ValueError(f"{where}: the function's bytecode is not a code object")
    defaults = config.get("defaults")
    closure = config.get("closure")
    cells = None if closure is None else tuple(types.CellType(v) for v in closure)
    if len(cells or ()) != len(code.co_freevars):
        raise ValueError(f"{where}: the function's closure holds {len(cells or ())} values, its code needs "
                         f"{len(code.co_freevars)}")
    scope = {"__builtins__": builtins, "ops": ops}
    return types.FunctionType(code, scope, code.co_name, None if defaults is None else tuple(defaults), cells)
