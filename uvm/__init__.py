"""UVM: a live, persistent, prototype-based language environment for Python."""
__version__ = "0.1.0"
