"""Image files in class folders: which classes, which files, which part of them (validation_split).

A dataset directory holds one subfolder per class; every file below a class folder (at any depth)
whose extension is an image format counts, in sorted order, as Keras lists them. Other files are
left out when listing, as Keras leaves them out (the warning about an empty class folder and the
error about a tree without images name them); a listed file that turns out not to be a readable
image (or is truncated) raises ValueError naming it when its batch is loaded
(fastnn.preprocessing.image.files.open_image), in fit's loading threads as anywhere.
"""
import os
import warnings


def class_folders(directory, classes=None, skip_hidden=False, argument="classes"):
    """The class names: `classes` (each checked to be a subfolder), or the subfolders of directory
    in sorted order (without those starting with '.' when skip_hidden)."""
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"No such directory: {os.fspath(directory)!r}")
    found = [name for name in sorted(os.listdir(directory))
             if os.path.isdir(os.path.join(directory, name)) and not (skip_hidden and name.startswith("."))]
    if not classes:
        return found
    if isinstance(classes, str):
        raise ValueError(f"{argument} must be a list of class folder names. Received: {argument}={classes!r}")
    missing = [name for name in classes if name not in found]
    if missing:
        raise ValueError(f"{argument} names folders that {os.fspath(directory)!r} does not have: {missing}. "
                         f"Its subfolders are {found}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"{argument} names a class twice: {list(classes)}")
    return list(classes)


def image_files(folder, extensions, follow_links=False):
    """Paths (relative to folder) of the files below folder whose names end with one of extensions
    (compared in lower case), in sorted order of directory, then name."""
    found = []
    for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0]):
        for name in sorted(files):
            if name.lower().endswith(extensions):
                found.append(os.path.relpath(os.path.join(root, name), folder))
    return found


def index_class_folders(directory, classes, extensions, follow_links=False, split=None, skip_hidden=False,
                        argument="classes"):
    """(class names, filenames relative to directory, class index per file). split=(start, stop)
    keeps that fraction of each class's files ([int(start * n), int(stop * n)))."""
    names = class_folders(directory, classes, skip_hidden, argument)
    filenames, labels = [], []
    for index, name in enumerate(names):
        files = image_files(os.path.join(directory, name), extensions, follow_links)
        if not files:
            folder = os.path.join(os.fspath(directory), name)
            warnings.warn(f"class folder {folder!r} holds no image files ({', '.join(extensions)})"
                          f"{_others(folder, extensions, follow_links)}", stacklevel=3)
        if split is not None:
            files = files[int(split[0] * len(files)):int(split[1] * len(files))]
        filenames += [os.path.join(name, f) for f in files]
        labels += [index] * len(files)
    return names, filenames, labels


def no_images_error(directory, extensions, what="images", follow_links=False, by_class=True):
    """The ValueError for a tree without images, saying what it holds instead. by_class: images are
    looked for in class subfolders (else anywhere below directory)."""
    if not by_class:
        return ValueError(f"found no {what} ({', '.join(extensions)}) in {os.fspath(directory)!r} or below it"
                          f"{_others(directory, extensions, follow_links)}")
    loose = [name for name in sorted(os.listdir(directory))
             if name.lower().endswith(extensions) and os.path.isfile(os.path.join(directory, name))]
    hint = (f"; the {len(loose)} image file{'s' if len(loose) > 1 else ''} directly in it ({loose[0]!r}"
            f"{', ...' if len(loose) > 1 else ''}) {'belong' if len(loose) > 1 else 'belongs'} in class "
            "subfolders" if loose else _others(directory, extensions, follow_links))
    return ValueError(f"found no {what} in {os.fspath(directory)!r}: it needs one subfolder per class holding "
                      f"image files ({', '.join(extensions)}){hint}")


def _others(folder, extensions, follow_links):
    """'; it holds 2 other files, left out: 'a/notes.txt', ...' for the files below folder that are
    not listed as images, or ''."""
    others = [os.path.join(os.path.relpath(root, folder), name) if root != os.fspath(folder) else name
              for root, _, files in sorted(os.walk(folder, followlinks=follow_links), key=lambda entry: entry[0])
              for name in sorted(files) if not name.lower().endswith(extensions)]
    if not others:
        return ""
    shown = ", ".join(repr(name) for name in others[:3]) + (", ..." if len(others) > 3 else "")
    return f"; it holds {len(others)} other file{'s' if len(others) > 1 else ''}, left out: {shown}"
