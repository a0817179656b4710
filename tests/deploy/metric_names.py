#!/usr/bin/env python3
"""Every metric that deploy/grafana/caselink.json and deploy/prometheus/alerts.yml query exists:
it is declared as a string literal in some service's source (services/**, tests excluded), a
histogram's _bucket/_count/_sum series counting as its family, or it is Prometheus's own `up`.
Also: the dashboard is valid JSON and every panel query names at least one metric. Exits 1 and
names each unknown metric and where it is used. Standard library only."""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
METRIC = re.compile(r"\b(caselink_[a-z0-9_]+)\b")
BUILTIN = {"up"}


def declared():
    names = set()
    for path in (ROOT / "services").rglob("*"):
        if path.suffix in (".cc", ".h") and "tests" not in path.parts:
            names.update(re.findall(r'"(caselink_[a-z0-9_]+)"', path.read_text(encoding="utf-8")))
    return names


def alert_exprs(text):
    """The `expr:` values of a rule file (inline or `|` blocks), without a YAML library."""
    lines, exprs, i = text.splitlines(), [], 0
    while i < len(lines):
        m = re.match(r"^(\s*)(?:- )?expr:\s*(.*)$", lines[i])
        i += 1
        if not m:
            continue
        if m.group(2).strip() not in ("|", ">", "|-", ">-"):
            exprs.append(m.group(2))
            continue
        indent, block = len(m.group(1)), []
        while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
            block.append(lines[i])
            i += 1
        exprs.append("\n".join(block))
    return exprs


def known(name, names):
    if name in names or name in BUILTIN:
        return True
    base = re.sub(r"_(bucket|count|sum)$", "", name)
    return base != name and base in names


def main():
    names = declared()
    problems = []
    dashboard_path = ROOT / "deploy/grafana/caselink.json"
    try:
        dashboard = json.loads(dashboard_path.read_text(encoding="utf-8"))
    except ValueError as e:
        print(f"FAIL: {dashboard_path} is not JSON: {e}")
        return 1
    uses = []
    for panel in dashboard.get("panels", []):
        for target in panel.get("targets", []):
            expr = target.get("expr", "")
            found = METRIC.findall(expr) + (["up"] if re.match(r"^up\b", expr) else [])
            if not found:
                problems.append(f"dashboard panel '{panel.get('title')}': query names no metric: {expr}")
            uses += [(n, f"dashboard panel '{panel.get('title')}'") for n in found]
    rules = (ROOT / "deploy/prometheus/alerts.yml").read_text(encoding="utf-8")
    exprs = alert_exprs(rules)
    if not exprs:
        problems.append("alerts.yml: no expr found")
    for expr in exprs:
        uses += [(n, "alerts.yml: " + " ".join(expr.split())[:80]) for n in METRIC.findall(expr)]
    problems += [f"{where}: {name} is declared by no service" for name, where in uses if not known(name, names)]
    for p in problems:
        print("FAIL:", p)
    print(f"{len(uses)} metric uses checked against {len(names)} declared names")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
