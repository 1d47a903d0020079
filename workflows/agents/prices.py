"""What tokens cost: a price table per model, in US dollars per million tokens.

Built-in: list prices of the models the pinned CLIs default to (they change; check them).
``[prices."PATTERN"]`` tables in config.toml come first (PATTERN is a shell-style glob on the
model name the transcript records, e.g. ``"claude-sonnet-4-5*"``)::

    [prices."claude-opus-5*"]
    input = 5.0          # required
    output = 25.0        # required
    cache_read = 0.5     # default: input's price
    cache_write = 6.25   # default: input's price

A model no pattern matches has no price: its cost is unknown (shown as ``?``, never $0).
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from workflows.agents.transcripts import Tokens
from workflows.base.config import ConfigError, table

PER = 1_000_000


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_read: float
    cache_write: float

    def cost(self, tokens: Tokens) -> float:
        return (
            tokens.input * self.input
            + tokens.output * self.output
            + tokens.cache_read * self.cache_read
            + tokens.cache_write * self.cache_write
        ) / PER


# Anthropic: a cache read costs 0.1x input, a (5-minute) cache write 1.25x. OpenAI: cached
# input 0.1x, nothing extra for writing.
BUILTIN: list[tuple[str, Price]] = [
    ("claude-opus-4-5*", Price(5.0, 25.0, 0.5, 6.25)),
    ("claude-opus-4*", Price(15.0, 75.0, 1.5, 18.75)),
    ("claude-sonnet-4*", Price(3.0, 15.0, 0.3, 3.75)),
    ("claude-haiku-4-5*", Price(1.0, 5.0, 0.1, 1.25)),
    ("gpt-5-mini*", Price(0.25, 2.0, 0.025, 0.25)),
    ("gpt-5*", Price(1.25, 10.0, 0.125, 1.25)),
]


def configured() -> list[tuple[str, Price]]:
    """The ``[prices."PATTERN"]`` tables of config.toml, in file order."""
    prices = table("prices")
    found = []
    for pattern in prices.values:
        entry = prices.sub(pattern)
        entry.check_known(("input", "output", "cache_read", "cache_write"))
        for required in ("input", "output"):
            if required not in entry:
                raise ConfigError(
                    f"{entry.where()}: {entry.title} needs {required} (USD per million tokens)"
                )
        base = entry.get_float("input", 0.0, minimum=0)
        found.append(
            (
                pattern,
                Price(
                    input=base,
                    output=entry.get_float("output", 0.0, minimum=0),
                    cache_read=entry.get_float("cache_read", base, minimum=0),
                    cache_write=entry.get_float("cache_write", base, minimum=0),
                ),
            )
        )
    return found


def price_for(model: str) -> Price | None:
    for pattern, price in [*configured(), *BUILTIN]:
        if fnmatchcase(model, pattern):
            return price
    return None


def cost_of(usage: dict[str, Tokens]) -> tuple[float | None, list[str]]:
    """The cost of tokens per model, and the models with no price (cost None if any)."""
    total, unpriced = 0.0, []
    for model, tokens in usage.items():
        price = price_for(model)
        if price is None:
            if tokens.total:
                unpriced.append(model)
            continue
        total += price.cost(tokens)
    return (None if unpriced else total), unpriced
