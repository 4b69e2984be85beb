"""UVM: a live, persistent, prototype-based language environment for Python."""
__version__ = "0.1.0"


def open(path: str | None = None, memory: bool = False):  # noqa: A001 -- the API's name
    """Open a living image (``uvm.open('my.fs')``, ``uvm.open(memory=True)``).

    The result is a context manager with ``eval(source)`` and ``lobby``."""
    from uvm.image.image import open_image
    return open_image(path, memory=memory)
