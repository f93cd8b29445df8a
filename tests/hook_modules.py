"""Import the hook scripts as modules, so their functions are unit-tested without baking.

The hooks are Jinja templates only in their last line (under `__main__`), so the
unrendered files are valid Python and import cleanly.
"""

import importlib.util

from conftest import TEMPLATE_DIR


def load_hook(name: str):
    spec = importlib.util.spec_from_file_location(name, TEMPLATE_DIR / "hooks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pre_gen = load_hook("pre_gen_project")
post_gen = load_hook("post_gen_project")


def default_answers() -> dict:
    """The answers `cookiecutter --no-input` gives, as the hooks receive them."""
    return {
        "project_name": "My Composable App",
        "project_slug": "my-composable-app",
        "description": "A Composable Svelte app",
        "author_name": "Your Name",
        "author_email": "you@example.com",
        "layout": "standalone",
        "backend": "none",
        "database": "none",
        "use_redis": "no",
        "package_manager": "pnpm",
        "node_version": "22",
        "fly_app_name": "my-composable-app",
        "fly_api_app_name": "my-composable-app-api",
        "fly_region": "sjc",
        "fly_vm_memory": "512mb",
        "min_machines_running": "0",
        "ci": "github-actions",
        "deploy_on_push": "no",
        "use_i18n": "no",
        "use_sentry": "no",
        "license": "MIT",
    }
