"""Import the hook scripts as modules, so their functions are unit-tested without baking.

The hooks are Jinja templates only in their last line (under `__main__`), so the
unrendered files are valid Python and import cleanly.
"""

import importlib.util

from harness.paths import TEMPLATE_DIR


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_DIR / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")
