"""The option combinations the suite bakes.

Every combination of the options that interact (layout, backend, database,
use_redis, package_manager, ci, deploy_on_push) that the pre-generation hook
allows, with the independent options (node_version, use_i18n, use_sentry,
license) filled in greedily so that every pair of values of any two options
appears in at least one bake. `test_matrix_covers_every_pair` proves the claim.
"""

import itertools

STACKS = [  # (layout, backend, database): the allowed ones
    ("standalone", "none", "none"),
    ("monorepo", "none", "none"),
    ("monorepo", "rust", "none"),
    ("monorepo", "rust", "postgres"),
]
PIPELINES = [("github-actions", "no"), ("github-actions", "yes"), ("none", "no")]  # (ci, deploy_on_push)

INDEPENDENT = {
    "node_version": ("22", "24", "20"),
    "use_i18n": ("no", "yes"),
    "use_sentry": ("no", "yes"),
    "license": ("MIT", "Apache-2.0", "Proprietary"),
}


def _interacting_combinations():
    for (layout, backend, database), use_redis, package_manager, (ci, deploy) in itertools.product(
            STACKS, ("no", "yes"), ("pnpm", "npm"), PIPELINES):
        yield {"layout": layout, "backend": backend, "database": database, "use_redis": use_redis,
               "package_manager": package_manager, "ci": ci, "deploy_on_push": deploy}


def _pairs(combination):
    items = sorted(combination.items())
    return {(a, b) for a, b in itertools.combinations(items, 2)}


def build_matrix():
    covered = set()
    matrix = []
    fillings = [dict(zip(INDEPENDENT, values)) for values in itertools.product(*INDEPENDENT.values())]
    for base in _interacting_combinations():
        best = max(fillings, key=lambda filling: len(_pairs(base | filling) - covered))
        combination = base | best
        covered |= _pairs(combination)
        matrix.append(combination)
    return matrix


def option_values():
    """Every value of every option the matrix varies."""
    values = {}
    for combination in build_matrix():
        for option, value in combination.items():
            values.setdefault(option, set()).add(value)
    return values


MATRIX = build_matrix()


def combination_id(combination):
    short = {"standalone": "sa", "monorepo": "mono", "github-actions": "gha", "postgres": "pg",
             "Apache-2.0": "apache", "Proprietary": "prop"}
    return "-".join(short.get(v, v) for v in combination.values()).replace("--", "-")
