"""UVM: a live, persistent, prototype-based language environment for Python."""
__version__ = "0.1.0"


def open(path: str | None = None, memory: bool = False, read_only: bool = False):  # noqa: A001
    """Open a living image: ``uvm.open('my.fs')``, ``uvm.open('zeo://host:8100')``,
    ``uvm.open('postgresql://...')``, ``uvm.open(memory=True)``.

    The result is a context manager with ``eval(source)``, ``lobby``, ``history()``,
    ``undo(id)`` and ``at(id)``."""
    from uvm.image.image import open_image
    return open_image(path, memory=memory, read_only=read_only)
