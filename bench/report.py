"""The bench's one table (Markdown, so it pastes into docs as it is) and its JSON."""

from dataclasses import dataclass, field
from typing import Callable

from measure import Samples

COLUMNS = {"generated": "generated", "fastify": "plain Fastify", "sveltekit": "SvelteKit", "axum": "plain Axum"}
PEER_NAMES = {"fastify": "Fastify", "sveltekit": "SvelteKit", "axum": "Axum"}
FORMATS = {"req/s": "{:,.0f}", "ms": "{:.1f}", "us": "{:,.0f}", "MiB": "{:.0f}", "kB": "{:.1f}", "MB": "{:.2f}"}


@dataclass
class Figure:
    """One row: every server's samples of one figure, the generated app's ratio to its peers, the aim."""

    key: str
    title: str
    unit: str
    servers: dict[str, Samples]
    higher_is_better: bool = False
    peers: tuple[str, ...] = ()
    aim: str | None = None
    check: Callable[["Figure"], bool] | None = None
    failures: dict[str, int] = field(default_factory=dict)

    def median(self, server: str) -> float:
        return self.servers[server].median

    def ratio(self, peer: str) -> float:
        """The generated side's median over the peer's, both from this run."""
        return self.median("generated") / self.median(peer)

    @property
    def met(self) -> bool | None:
        return None if self.check is None else bool(self.check(self))

    def cell(self, server: str) -> str:
        if server not in self.servers:
            return ""
        samples, number = self.servers[server], FORMATS[self.unit]
        text = number.format(samples.median)
        if len(samples.values) > 1:
            text += f" ({number.format(min(samples.values))}-{number.format(max(samples.values))})"
        if self.failures.get(server):
            text += f" [{self.failures[server]} non-2xx/errors]"
        return text

    def as_json(self) -> dict:
        return {
            "title": self.title,
            "unit": self.unit,
            "higher_is_better": self.higher_is_better,
            "servers": {name: samples.as_json() for name, samples in self.servers.items()},
            "ratio": {peer: self.ratio(peer) for peer in self.peers},
            "failures": self.failures,
            "aim": self.aim,
            "met": self.met,
        }


def render_table(info: dict, figures: list[Figure]) -> str:
    machine, settings, versions = info["machine"], info["settings"], info["versions"]
    load_start, load_end = machine["load_average_at_start"][0], machine["load_average_at_end"][0]
    lines = [
        f"Composable Fly bench, {info['date']}{' (--quick)' if settings['quick'] else ''}",
        f"machine: {machine['nproc']} cores, {machine['cpu']}, {machine['memory_gib']} GiB RAM, Linux {machine['kernel']};"
        f" 1-min load average {load_start:.1f} at start, {load_end:.1f} at end",
        "versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        f"method: autocannon -c{settings['web_connections']} (web) / -c{settings['api_connections']} (API)"
        f" -d{settings['seconds']} after a {settings['warmup_s']} s warm-up, median of {settings['runs']}"
        f" interleaved runs (min-max); cold start median of {settings['cold_starts']};"
        " all on 127.0.0.1, the load generator sharing the cores",
        "",
        "| figure | " + " | ".join(COLUMNS.values()) + " | ratio (same run) | aim | met |",
        "|" + " --- |" * (len(COLUMNS) + 4),
    ]
    for figure in figures:
        ratios = ", ".join(f"{figure.ratio(peer):.2f}x {PEER_NAMES[peer]}" for peer in figure.peers)
        met = "" if figure.met is None else ("yes" if figure.met else "**no**")
        cells = [f"{figure.title}, {figure.unit}", *(figure.cell(key) for key in COLUMNS), ratios,
                 figure.aim or "", met]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
