"""YAML with the line of every node (serverless.yml, render.yaml, SAM templates).

PyYAML's composer keeps marks on each node; constructing plain data from them keeps the
lines beside it. CloudFormation tags (`!Ref`, `!Sub`) are read as their plain values.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml


@dataclass
class YamlDoc:
    value: object
    lines: dict[tuple, int]


class _Loader(yaml.SafeLoader):
    pass


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_Loader.add_multi_constructor("!", _any_tag)

MAX_NODES = 200_000


def parse_yaml(text: str) -> YamlDoc:
    node = yaml.compose(text, Loader=_Loader)
    lines: dict[tuple, int] = {}
    if node is None:
        return YamlDoc(None, lines)
    count = [0]
    return YamlDoc(_plain(node, (), lines, count), lines)


def _plain(node, path: tuple, lines: dict, count: list[int]):
    count[0] += 1
    if count[0] > MAX_NODES:
        raise ValueError("too many YAML nodes")
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out = {}
        for k, v in node.value:
            key = k.value if isinstance(k, yaml.ScalarNode) else str(k.start_mark.line)
            out[key] = _plain(v, (*path, key), lines, count)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_plain(v, (*path, i), lines, count) for i, v in enumerate(node.value)]
    return node.value
