"""Image files in class folders: which classes, which files, which part of them (validation_split).

A dataset directory holds one subfolder per class; every file below a class folder (at any depth)
whose extension is an image format counts, in sorted order, as Keras lists them. Other files are
left out when listing; a listed file that turns out not to be a readable image raises ValueError
naming it when its batch is loaded (fastnn.preprocessing.image.files.open_image).
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
            warnings.warn(f"class folder {os.path.join(os.fspath(directory), name)!r} holds no image files "
                          f"({', '.join(extensions)})", stacklevel=3)
        if split is not None:
            files = files[int(split[0] * len(files)):int(split[1] * len(files))]
        filenames += [os.path.join(name, f) for f in files]
        labels += [index] * len(files)
    return names, filenames, labels


def no_images_error(directory, extensions, what="images"):
    return ValueError(f"found no {what} in {os.fspath(directory)!r}: it needs one subfolder per class holding "
                      f"image files ({', '.join(extensions)})")
