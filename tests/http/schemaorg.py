"""schema.org's vocabulary, read from the schema-dts typings (generated from schema.org's own
vocabulary; installed by tests/run.sh into tests/node_modules), for checking JSON-LD: which
properties a type has (its own and inherited), which types a property's value may have, and the
members of enumerations such as EventStatusType."""
import re
from pathlib import Path

DTS = Path(__file__).resolve().parent.parent / "node_modules" / "schema-dts" / "dist" / "schema.d.ts"

_IFACE = re.compile(r"^(?:export )?interface (\w+)Base extends ([^{]+)\{")
_PROP = re.compile(r'^    "([@\w]+)"\?: SchemaValue<(.+), "[^"]+">;$')
_TYPE = re.compile(r"^(?:export )?type (\w+) = (.+);$")


class Vocabulary:
    def __init__(self, path=DTS):
        self.props = {}    # type -> {property: [range type names]}
        self.parents = {}  # type -> [parent types]
        self.unions = {}   # type -> [member names and string literals]
        current = None
        for line in path.read_text().splitlines():
            m = _IFACE.match(line)
            if m:
                current = m.group(1)
                self.props.setdefault(current, {})
                self.parents[current] = [p.strip()[:-4] for p in m.group(2).split(",")
                                         if p.strip().endswith("Base")]
                continue
            if current is not None:
                if line == "}":
                    current = None
                    continue
                p = _PROP.match(line)
                if p:
                    self.props[current][p.group(1)] = re.findall(r"\b([A-Z]\w*)\b", p.group(2))
                continue
            t = _TYPE.match(line)
            if t:
                self.unions[t.group(1)] = [x.strip() for x in t.group(2).split("|")]

    def ancestors(self, t):
        out, todo = [], [t]
        while todo:
            x = todo.pop()
            if x not in out:
                out.append(x)
                todo += self.parents.get(x, [])
        return out

    def property_range(self, t, prop):
        """The range of prop on type t, or None when t has no such property."""
        for a in self.ancestors(t):
            if prop in self.props.get(a, {}):
                return self.props[a][prop]
        return None

    def is_a(self, t, ancestor):
        return ancestor in self.ancestors(t)

    def members(self, enumeration):
        return {x.strip('"') for x in self.unions.get(enumeration, []) if x.startswith('"')}

    def check(self, node, where="$"):
        """Every problem of a JSON-LD node (and its nested nodes) against the vocabulary."""
        problems = []
        t = node.get("@type")
        if t not in self.props:
            return [f"{where}: unknown @type {t!r}"]
        for key, value in node.items():
            if key in ("@context", "@type", "@id"):
                continue
            rng = self.property_range(t, key)
            if rng is None:
                problems.append(f"{where}.{key}: not a property of {t}")
                continue
            for i, v in enumerate(value if isinstance(value, list) else [value]):
                if isinstance(v, dict):
                    vt = v.get("@type")
                    if not any(self.is_a(vt, r) for r in rng if r in self.props):
                        problems.append(f"{where}.{key}: a {vt} is not one of {rng}")
                    problems += self.check(v, f"{where}.{key}")
                elif isinstance(v, str) and v.startswith("https://schema.org/"):
                    enums = [r for r in rng if self.members(r)]
                    if enums and not any(v in self.members(r) for r in enums):
                        problems.append(f"{where}.{key}: {v} is no member of {enums}")
        return problems
