"""An OpenAPI 3 document read into the operations a capability allows.

The document (JSON or YAML, from a file or from the capability's own host) is first
checked by ``openapi-spec-validator`` -- the reference validator of the OpenAPI schema,
whose messages say what is wrong and where -- after refusing any ``$ref`` that leaves the
document (a remote reference would make the grant fetch from hosts nobody granted). The
operations are then read with their local references resolved: method, path template,
operationId, summary, and each parameter by its declared place (``path``, ``query``,
``header``, or ``body``: a property of a JSON object body, or the whole body when its
schema is not an object). They are stored in the capability as plain dictionaries, so the
image needs no library to use them.
"""
from __future__ import annotations

import json
import keyword
import re

METHODS = ("get", "put", "post", "delete", "patch", "head")
READS = frozenset(("GET", "HEAD"))
BODY = "body"          # a parameter that is a property of the JSON body
WHOLE_BODY = "whole"   # the one parameter that is the whole body


class SpecError(Exception):
    """The document cannot be used; the message says where and why."""


def parse_document(text: str, where: str) -> dict:
    """JSON, else YAML (PyYAML's safe loader: plain data, no tags that build objects)."""
    try:
        doc = json.loads(text)
    except ValueError:
        import yaml
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError as e:
            raise SpecError(f"{where} is neither JSON nor YAML: {str(e).splitlines()[0]}") from None
    if not isinstance(doc, dict):
        raise SpecError(f"{where} is not an OpenAPI document (it holds no mapping)")
    return doc


def read_operations(doc: dict, where: str) -> list[dict]:
    """The operations of a validated OpenAPI 3 document, in document order."""
    version = str(doc.get("openapi", ""))
    if not version.startswith("3."):
        raise SpecError(f"{where} is not an OpenAPI 3 document (its 'openapi' field is "
                        f"{version or 'missing'}; Swagger 2 documents are not read)")
    _refuse_remote_refs(doc, where)
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
    try:
        validate(doc)
    except OpenAPIValidationError as e:
        at = ".".join(str(p) for p in e.absolute_path) or "the document"
        raise SpecError(f"{where}: {at}: {e.message}") from None
    ops, seen = [], set()
    for path, item in (doc.get("paths") or {}).items():
        item = _resolved(doc, item)
        common = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if not isinstance(op, dict):
                continue
            op_id = op.get("operationId")
            name = selector_stem(op_id) if op_id else None
            if name in seen:
                raise SpecError(f"{where}: two operations map to the selector {name!r} "
                                f"(operationId {op_id!r})")
            seen.add(name)
            ops.append({"id": op_id, "name": name, "method": method.upper(), "path": path,
                        "summary": " ".join(str(op.get("summary") or op.get("description")
                                                or "").split())[:160],
                        "params": _params(doc, common, op)})
    if not ops:
        raise SpecError(f"{where} declares no operations")
    return ops


def _params(doc: dict, common: list, op: dict) -> list[dict]:
    by_key: dict[tuple, dict] = {}
    for raw in [*common, *(op.get("parameters") or [])]:   # the operation's own win
        p = _resolved(doc, raw)
        if p.get("in") not in ("path", "query", "header"):
            continue  # cookies: a capability sends none
        by_key[(p["name"], p["in"])] = {
            "name": p["name"], "in": p["in"], "required": bool(p.get("required")) or p["in"] == "path",
            "type": str((_resolved(doc, p.get("schema") or {})).get("type") or "")}
    params = list(by_key.values())
    body = _resolved(doc, op.get("requestBody") or {})
    schema = _json_schema(doc, body)
    if schema is not None:
        props = schema.get("properties")
        if schema.get("type") == "object" or isinstance(props, dict):
            required = [r for r in schema.get("required") or [] if r in (props or {})]
            for prop in [*required, *[p for p in props or {} if p not in required]]:
                params.append({"name": prop, "in": BODY, "required": prop in required,
                               "type": str(_resolved(doc, props[prop]).get("type") or "")})
        else:
            params.append({"name": "body", "in": WHOLE_BODY, "required": bool(body.get("required")),
                           "type": str(schema.get("type") or "")})
    # the selector spells the required ones in their declared order
    return [p for p in params if p["required"]] + [p for p in params if not p["required"]]


def _json_schema(doc: dict, body: dict) -> dict | None:
    for media, content in (body.get("content") or {}).items():
        if "json" in media:
            return _resolved(doc, (content or {}).get("schema") or {})
    return None


def _resolved(doc: dict, node, depth: int = 0):
    """``node`` with a local ``$ref`` (``#/components/...``) followed."""
    while isinstance(node, dict) and "$ref" in node and depth < 20:
        ref = node["$ref"]
        target = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            raise SpecError(f"the reference {ref} leads nowhere in the document")
        node, depth = target, depth + 1
    return node if isinstance(node, dict) else {}


def _refuse_remote_refs(node, where: str) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and not ref.startswith("#/"):
            raise SpecError(f"{where} refers outside itself ($ref {ref!r}); a capability's "
                            "document must be self-contained")
        for v in node.values():
            _refuse_remote_refs(v, where)
    elif isinstance(node, list):
        for v in node:
            _refuse_remote_refs(v, where)


# --- names ----------------------------------------------------------------------------------------

def selector_stem(text: str) -> str:
    """An operationId as the first keyword of a selector: ``get_book`` / ``GetBook`` ->
    ``getBook``."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", str(text)) if w]
    if not words:
        return "operation"
    stem = words[0][:1].lower() + words[0][1:] + "".join(w[:1].upper() + w[1:] for w in words[1:])
    return stem if stem[:1].isalpha() else "op" + stem


def keyword_part(name: str) -> str:
    """A parameter's name as a keyword part: ``from`` -> ``From``, ``book_id`` -> ``BookId``."""
    stem = selector_stem(name)
    return stem[:1].upper() + stem[1:]


def python_name(name: str) -> str:
    """A parameter's name as the generated method's argument: a Python identifier that
    is neither a keyword nor a builtin (``from`` -> ``fromValue``, ``id`` -> ``idValue``)."""
    stem = selector_stem(name)
    import builtins
    if keyword.iskeyword(stem) or hasattr(builtins, stem) or stem in ("self", "send"):
        return stem + "Value"
    return stem


def required(op: dict) -> list[dict]:
    return [p for p in op["params"] if p["required"]]


def optional(op: dict) -> list[dict]:
    return [p for p in op["params"] if not p["required"]]


def path_matches(template: str, path: str) -> bool:
    """Whether a concrete path fits a template: ``/books/{id}`` fits ``/books/12``."""
    pattern = "".join("[^/]+" if part.startswith("{") else re.escape(part)
                      for part in re.split(r"(\{[^}]*\})", template))
    return re.fullmatch(pattern, path) is not None
