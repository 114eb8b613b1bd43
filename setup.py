"""Builds fastnn's compiled kernels: csrc/*.c wrapped by src/fastnn/_C.pyx.

The kernels run on fastnn's own POSIX threads (csrc/parallel.c; no OpenMP). The default build
targets any x86-64: AVX2/FMA code is compiled per function and chosen at run time.
-fno-math-errno and -fno-trapping-math (libm never sets errno, FP exceptions never
trap) let loops with sqrt and selects vectorise; neither changes a floating-point result.
Set FASTNN_SANITIZE=1 to build with AddressSanitizer and UndefinedBehaviorSanitizer.
"""
import os
from glob import glob

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

THREAD_FLAGS = {"unix": (["-pthread"], ["-pthread"])}

BASE_FLAGS = {
    "unix": ["-O3", "-std=gnu11", "-fno-strict-aliasing", "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unused-function"],
    "msvc": ["/O2"],
}

# -O0: at -O1, GCC takes over half an hour on the instrumented short-K convolution kernels.
SANITIZER_FLAGS = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-O0", "-g"]

# The release build carries no debug information (Python's own CFLAGS ask for -g).
STRIP_FLAGS = {"unix": (["-g0"], ["-Wl,--strip-debug"])}


class BuildExt(build_ext):
    def build_extensions(self):
        kind = self.compiler.compiler_type
        compile_args = list(BASE_FLAGS.get(kind, []))
        link_args = []
        thread_compile, thread_link = THREAD_FLAGS.get(kind, ([], []))
        compile_args += thread_compile
        link_args += thread_link
        if os.environ.get("FASTNN_SANITIZE") == "1":
            compile_args += SANITIZER_FLAGS
            link_args += ["-fsanitize=address,undefined"]
        else:
            strip_compile, strip_link = STRIP_FLAGS.get(kind, ([], []))
            compile_args += strip_compile
            link_args += strip_link
        for ext in self.extensions:
            ext.extra_compile_args = compile_args + ext.extra_compile_args
            ext.extra_link_args = link_args + ext.extra_link_args
        super().build_extensions()


kernels = Extension(
    "fastnn._C",
    sources=["src/fastnn/_C.pyx"] + sorted(glob("csrc/*.c")),
    include_dirs=["csrc", numpy.get_include()],
    depends=sorted(glob("csrc/*.h") + glob("csrc/*.inc") + glob("src/fastnn/*.pxi")),
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
)

setup(
    ext_modules=cythonize(
        [kernels],
        compiler_directives={
            "language_level": 3,
            "boundscheck": False,
            "wraparound": False,
            "cdivision": True,
            "initializedcheck": False,
        },
    ),
    cmdclass={"build_ext": BuildExt},
)
