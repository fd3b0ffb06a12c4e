"""The JavaScript frameworks tddprose reads and the file extensions they test. Apart
from the adapters so that choosing an adapter does not import them."""

JS_FRAMEWORKS = ("jest", "vitest")
EXTENSIONS = frozenset(("js", "jsx", "ts", "tsx", "mjs", "cjs", "mts", "cts"))
