"""The option combinations the suite bakes, and the pairwise-coverage helpers.

Every combination of the options that interact (INTERACTING) that the pre-generation hook
allows, with the other choice options filled in greedily so that every pair of values of any
two options appears in at least one bake. `test_matrix_covers_every_pair...` proves the claim.
Options and values come from cookiecutter.json; a new choice option joins the fillings, which
the hook vets too (e.g. template_check=yes only where ci=github-actions).
"""

import itertools

from harness.answers import CHOICES, DEFAULTS
from harness.hooks import pre_gen

INTERACTING = ("layout", "backend", "database", "auth", "use_redis", "package_manager", "ci", "deploy_on_push")
INDEPENDENT = {name: values for name, values in CHOICES.items() if name not in INTERACTING}


def pairs(combination: dict, options=None) -> set:
    """Every pair of (option, value) in the combination, limited to `options` when given."""
    items = sorted((o, v) for o, v in combination.items() if options is None or o in options)
    return set(itertools.combinations(items, 2))


def allowed(combination: dict) -> bool:
    return not pre_gen.validate(DEFAULTS | combination)


def interacting_combinations():
    for values in itertools.product(*(CHOICES[name] for name in INTERACTING)):
        combination = dict(zip(INTERACTING, values))
        if allowed(combination):
            yield combination


def independent_fillings(base: dict):
    """The fillings of the other options that the hook allows together with `base`."""
    fillings = (dict(zip(INDEPENDENT, values)) for values in itertools.product(*INDEPENDENT.values()))
    return [filling for filling in fillings if allowed(base | filling)]


def build_matrix():
    covered, matrix = set(), []
    for base in interacting_combinations():
        combination = base | max(independent_fillings(base), key=lambda filling: len(pairs(base | filling) - covered))
        covered |= pairs(combination)
        matrix.append(combination)
    return matrix


def pairwise_cover(matrix, options):
    """The fewest combinations of `matrix` (greedily) that still hold every pair of `options`' values."""
    needed = set().union(*(pairs(c, options) for c in matrix))
    chosen, covered = [], set()
    while covered != needed:
        best = max(matrix, key=lambda c: len(pairs(c, options) - covered))
        chosen.append(best)
        covered |= pairs(best, options)
    return chosen


MATRIX = build_matrix()
