"""The compiled kernels, operating on NumPy arrays with the GIL released.

Every function has a twin of the same name and signature in fastnn.reference,
the plain-NumPy oracle it is tested against.
"""
