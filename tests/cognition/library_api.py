"""The example library API (examples/library_api.py): a real HTTP server on loopback with
an OpenAPI document of its own, for the tools tests."""
from __future__ import annotations

import importlib.util
import os

_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "examples", "library_api.py")
_spec = importlib.util.spec_from_file_location("uvm_example_library_api", _PATH)
_module = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_module)

LibraryServer, TOKEN, document = _module.LibraryServer, _module.TOKEN, _module.document
