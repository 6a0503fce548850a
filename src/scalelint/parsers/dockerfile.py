"""A Dockerfile's base images and start command: the two facts platform detection needs."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DockerDoc:
    images: list[tuple[str, int]] = field(default_factory=list)  # (image, line), every FROM
    command: str = ""  # the last CMD / ENTRYPOINT, as written
    command_line: int = 0
    commands: list[tuple[str, int]] = field(default_factory=list)  # every stage's CMD / ENTRYPOINT


def parse_dockerfile(text: str) -> DockerDoc:
    doc = DockerDoc()
    for n, instruction in _instructions(text):
        word, _, rest = instruction.partition(" ")
        word = word.upper()
        rest = rest.strip()
        if word == "FROM":
            image = next((p for p in rest.split() if not p.startswith("--")), "")
            if image:
                doc.images.append((image, n))
        elif word in ("CMD", "ENTRYPOINT"):
            doc.command = rest
            doc.command_line = n
            doc.commands.append((rest, n))
    return doc


def _instructions(text: str):
    """Instructions with line continuations joined, each with the line it starts on."""
    start = 0
    parts: list[str] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not parts and (not line or line.startswith("#")):
            continue
        if not parts:
            start = n
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            parts.append(line[:-1])
            continue
        parts.append(line)
        yield start, " ".join(p.strip() for p in parts)
        parts = []
    if parts:
        yield start, " ".join(p.strip() for p in parts)
