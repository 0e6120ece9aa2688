#!/usr/bin/env python3
"""Offline deployability check for a SAM template.

Runs the SAM transform the way CloudFormation will, then checks the resulting CloudFormation
template for what CloudFormation refuses at create time but cfn-lint and `sam validate` miss,
above all dependency cycles ("Circular dependency between resources"), which SAM can create
out of references that look harmless in the source (e.g. a function's environment naming the
HTTP API whose generated OpenAPI body names every routed function).

Usage: .venv/bin/python infra/deployable.py [template]   (default infra/template.yaml)
Exit 0 with a one-line summary, or 1 with one line per problem.
"""

import json
import logging
import os
import re
import sys
from pathlib import Path

# The translator looks up a region (for partitions and ARNs); without one it stops.
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("SAM_CLI_TELEMETRY", "0")
# The translator warns about unpublished metrics after a refused transform; not our concern.
logging.getLogger("samtranslator.metrics").setLevel(logging.ERROR)

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

# CloudFormation quotas (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html).
MAX_RESOURCES = 500
MAX_PARAMETERS = 200
MAX_OUTPUTS = 200
MAX_MAPPINGS = 200
MAX_LOGICAL_ID = 255
MAX_DESCRIPTION = 1024
# `sam deploy` uploads the template to S3 (resolve_s3); a template from S3 may be 1 MB.
MAX_TEMPLATE_BYTES = 1_000_000

PSEUDO_PARAMETERS = {
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::NoValue",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
}
TOP_LEVEL_SECTIONS = {
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
    "Hooks",
}
LOGICAL_ID = re.compile(r"^[A-Za-z0-9]+$")
SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(Exception):
    """A problem with the template (reported as a line, never as a traceback)."""


# --- loading and transforming -----------------------------------------------------------------


def load_template(path):
    # SAM CLI's own loader: short tags become long-form dicts, dates stay strings, JSON works too.
    import yaml
    from samcli.yamlhelper import yaml_parse

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise TemplateError(f"cannot read {path}: {e.strerror or e}") from e
    try:
        template = yaml_parse(text)
    except yaml.YAMLError as e:
        raise TemplateError(f"{path} is not valid YAML/JSON: {e}") from e
    if not isinstance(template, dict):
        raise TemplateError(f"{path}: the template is not a mapping")
    return template, len(text.encode("utf-8"))


def _fake_s3_uri(properties, key):
    # What `sam package` does: a local path becomes an S3 object. The translator refuses local
    # paths, and the S3 location never affects dependencies.
    if isinstance(properties, dict) and not isinstance(properties.get(key), dict):
        value = properties.get(key)
        if not (isinstance(value, str) and value.startswith("s3://")):
            properties[key] = "s3://bucket/key"


def package_offline(template):
    """Replaces local artifact paths with S3 URIs, as `sam package` would before deploying."""
    resources = template.get("Resources")
    if not isinstance(resources, dict):
        return
    functions = [
        r.get("Properties")
        for r in resources.values()
        if isinstance(r, dict) and r.get("Type") == "AWS::Serverless::Function"
    ]
    global_function = (template.get("Globals") or {}).get("Function")
    for properties in functions:
        if not isinstance(properties, dict):
            continue
        image = properties.get("PackageType", (global_function or {}).get("PackageType")) == "Image"
        if image:
            properties.setdefault("ImageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo:tag")
        elif "InlineCode" not in properties:
            _fake_s3_uri(properties, "CodeUri")
    for resource in resources.values():
        if not isinstance(resource, dict) or not isinstance(resource.get("Properties"), dict):
            continue
        kind, properties = resource.get("Type"), resource["Properties"]
        if kind == "AWS::Serverless::LayerVersion":
            _fake_s3_uri(properties, "ContentUri")
        elif kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::Serverless::StateMachine"):
            # A definition file is opaque to CloudFormation (no intrinsics), so an S3 URI is faithful.
            if "DefinitionUri" in properties:
                _fake_s3_uri(properties, "DefinitionUri")


class _NoManagedPolicies:
    """Offline stand-in for the IAM lookup of AWS managed policy names."""

    def load(self):
        return {}


def transforms_of(template):
    value = template.get("Transform", [])
    return [value] if isinstance(value, str) else list(value) if isinstance(value, list) else [value]


def sam_transform(template):
    from samtranslator.model.exceptions import InvalidDocumentException, ExceptionWithMessage
    from samtranslator.translator.transform import transform

    try:
        package_offline(template)
        return transform(template, {}, _NoManagedPolicies())
    except InvalidDocumentException as e:
        causes = "; ".join(c.message for c in e.causes) or e.message
        raise TemplateError(f"the SAM transform refuses the template: {causes}") from e
    except ExceptionWithMessage as e:
        raise TemplateError(f"the SAM transform refuses the template: {e.message}") from e
    except Exception as e:  # the translator raises plain errors on malformed input too
        raise TemplateError(f"the SAM transform failed: {type(e).__name__}: {e}") from e


# --- references -------------------------------------------------------------------------------


class References:
    """What one part of the template references, each with where (for the report)."""

    def __init__(self):
        self.refs = []  # (name, path): Ref and ${Name} in Fn::Sub
        self.getatts = []  # (logical id, path): Fn::GetAtt and ${Name.Attr} in Fn::Sub
        self.conditions = []  # (name, path): Fn::If and {"Condition": name}
        self.mappings = []  # (name, path): Fn::FindInMap
        self.problems = []  # malformed intrinsics
        # {"Condition": name} is a function only in the Conditions section; elsewhere (e.g. in
        # Properties) it is plain data.
        self.condition_function = False


def collect(node, path, out):
    """Walks a value; every branch counts (CloudFormation resolves dependencies before conditions)."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            collect(item, f"{path}[{i}]", out)
        return
    if not isinstance(node, dict):
        return
    if len(node) == 1:
        (key, value), = node.items()
        here = f"{path}.{key}"
        if key == "Ref":
            if isinstance(value, str):
                out.refs.append((value, here))
            else:
                out.problems.append(f"{here}: Ref takes a name, not {json.dumps(value)[:80]}")
            return
        if key == "Fn::GetAtt":
            if isinstance(value, str):  # the "A.B" form
                value = value.split(".", 1)
            if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
                out.getatts.append((value[0].split(".", 1)[0], here))
                collect(value[1], here, out)  # the attribute may be a Ref
            else:
                out.problems.append(f"{here}: Fn::GetAtt takes [LogicalId, Attribute]")
            return
        if key == "Fn::Sub":
            _collect_sub(value, here, out)
            return
        if key == "Fn::If":
            if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
                out.conditions.append((value[0], here))
                collect(value[1], f"{here}[1]", out)
                collect(value[2], f"{here}[2]", out)
            else:
                out.problems.append(f"{here}: Fn::If takes [Condition, ValueIfTrue, ValueIfFalse]")
            return
        if key == "Condition" and isinstance(value, str) and out.condition_function:
            out.conditions.append((value, here))
            return
        if key == "Fn::FindInMap":
            if isinstance(value, list) and value and isinstance(value[0], str):
                out.mappings.append((value[0], here))
    for key, value in node.items():
        collect(value, f"{path}.{key}", out)


def _collect_sub(value, here, out):
    if isinstance(value, str):
        text, variables = value, {}
    elif (
        isinstance(value, list)
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], dict)
    ):
        text, variables = value
    else:
        out.problems.append(f"{here}: Fn::Sub takes a string or [string, {{variables}}]")
        return
    for name, var_value in variables.items():
        collect(var_value, f"{here}[1].{name}", out)
    for name in SUB_VARIABLE.findall(text):
        if name.startswith("!") or name in variables:  # ${!Literal}, or a variable of the map
            continue
        if "." in name and not name.startswith("AWS::"):
            out.getatts.append((name.split(".", 1)[0], here))
        else:
            out.refs.append((name, here))


def depends_on(resource, path, out):
    value = resource.get("DependsOn", [])
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        out.problems.append(f"{path}.DependsOn: takes a resource name or a list of them")
        return []
    return [(n, f"{path}.DependsOn") for n in names]


# --- cycles -----------------------------------------------------------------------------------


def strongly_connected(graph):
    """Tarjan's algorithm, iterative (no recursion limit): the components, in no useful order."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = counter
                    counter += 1
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(graph[succ]))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def cycles(graph):
    """The components CloudFormation refuses: more than one member, or a self-reference."""
    return [
        sorted(c)
        for c in strongly_connected(graph)
        if len(c) > 1 or c[0] in graph[c[0]]
    ]


def shortest_cycle(graph, members):
    """One shortest cycle inside a component, to show how it closes."""
    members = set(members)
    best = None
    for start in sorted(members):
        previous, frontier = {start: None}, [start]
        found = None
        while frontier and not found:
            following = []
            for node in frontier:
                for succ in sorted(graph[node]):
                    if succ == start:
                        found = node
                        break
                    if succ in members and succ not in previous:
                        previous[succ] = node
                        following.append(succ)
                if found:
                    break
            frontier = following
        if found:
            path = [found]
            while previous[path[-1]] is not None:
                path.append(previous[path[-1]])
            path.reverse()
            if best is None or len(path) < len(best):
                best = path
    return best + [best[0]]


# --- the checks -------------------------------------------------------------------------------


def section(template, name, problems):
    value = template.get(name, {})
    if value is None:
        value = {}
    if not isinstance(value, dict):
        problems.append(f"{name}: must be a mapping")
        return {}
    return value


def check(template):
    """Returns (problems, stats) for a CloudFormation template (after any transform)."""
    problems = []
    for key in template:
        if key not in TOP_LEVEL_SECTIONS:
            problems.append(f"unknown top-level section {key!r}")
    resources = section(template, "Resources", problems)
    parameters = section(template, "Parameters", problems)
    outputs = section(template, "Outputs", problems)
    mappings = section(template, "Mappings", problems)
    conditions = section(template, "Conditions", problems)

    # Quotas and names.
    if not resources:
        problems.append("Resources: a template needs at least one resource")
    for name, items, limit in (
        ("resources", resources, MAX_RESOURCES),
        ("parameters", parameters, MAX_PARAMETERS),
        ("outputs", outputs, MAX_OUTPUTS),
        ("mappings", mappings, MAX_MAPPINGS),
    ):
        if len(items) > limit:
            problems.append(f"{len(items)} {name}, over CloudFormation's limit of {limit}")
        for logical_id in items:
            if not isinstance(logical_id, str) or not LOGICAL_ID.match(logical_id):
                problems.append(f"{name}: logical id {logical_id!r} is not alphanumeric (A-Za-z0-9)")
            elif len(logical_id) > MAX_LOGICAL_ID:
                problems.append(f"{name}: logical id {logical_id[:40]}... is over {MAX_LOGICAL_ID} characters")
    description = template.get("Description")
    if isinstance(description, str) and len(description.encode("utf-8")) > MAX_DESCRIPTION:
        problems.append(f"Description: over {MAX_DESCRIPTION} bytes")

    refable = set(resources) | set(parameters) | PSEUDO_PARAMETERS

    def check_refs(refs, where_ok, what):
        for name, path in refs.refs:
            if name not in where_ok:
                problems.append(f"{path}: Ref/Sub names {name!r}, which is not {what}")
        for name, path in refs.conditions:
            if name not in conditions:
                problems.append(f"{path}: condition {name!r} is not defined in Conditions")
        for name, path in refs.mappings:
            if name not in mappings:
                problems.append(f"{path}: mapping {name!r} is not defined in Mappings")
        problems.extend(refs.problems)

    # Conditions may name parameters and other conditions only, and not in a circle.
    condition_graph = {}
    for name, body in conditions.items():
        refs = References()
        refs.condition_function = True
        collect(body, f"Conditions.{name}", refs)
        for target, path in refs.getatts:
            problems.append(f"{path}: conditions cannot use Fn::GetAtt ({target!r})")
        check_refs(refs, set(parameters) | PSEUDO_PARAMETERS, "a parameter (conditions cannot name resources)")
        condition_graph[name] = {c for c, _ in refs.conditions if c in conditions}
    for members in cycles(condition_graph):
        problems.append(f"circular reference between conditions: {', '.join(members)}")

    # Resources: the dependency graph, with where each edge comes from.
    graph = {name: set() for name in resources}
    edge_source = {}
    for name, resource in resources.items():
        where = f"Resources.{name}"
        if not isinstance(resource, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        if not isinstance(resource.get("Type"), str):
            problems.append(f"{where}: has no Type")
        elif resource["Type"].startswith("AWS::Serverless::"):
            problems.append(f"{where}: {resource['Type']} needs the {SAM_TRANSFORM} transform")
        condition = resource.get("Condition")
        if condition is not None and (not isinstance(condition, str) or condition not in conditions):
            problems.append(f"{where}.Condition: condition {condition!r} is not defined in Conditions")
        refs = References()
        # Properties, Metadata and DependsOn make dependencies. Metadata too: CloudFormation
        # resolves intrinsics there (DescribeStackResource returns the values), so a Ref in
        # Metadata orders creation like one in Properties (a known way to get a conditional
        # DependsOn), and cfn-lint's own graph walks it.
        collect(resource.get("Properties", {}), f"{where}.Properties", refs)
        collect(resource.get("Metadata", {}), f"{where}.Metadata", refs)
        explicit = depends_on(resource, where, refs)
        # UpdatePolicy/CreationPolicy (e.g. SAM's CodeDeploy hooks) must name things that exist;
        # whether they order creation is not documented, so they make no edges here.
        policies = References()
        for attribute in ("UpdatePolicy", "CreationPolicy"):
            collect(resource.get(attribute, {}), f"{where}.{attribute}", policies)
        for found in (refs, policies):
            check_refs(found, refable, "a resource, a parameter or a pseudo parameter")
            for target, path in found.getatts:
                if target not in resources:
                    problems.append(f"{path}: Fn::GetAtt names {target!r}, which is not a resource")
        for target, path in explicit:
            if target not in resources:
                problems.append(f"{path}: names {target!r}, which is not a resource")
        targets = [(t, p) for t, p in refs.refs + refs.getatts + explicit if t in resources]
        # SAM maps AWS managed policy names to ARNs from a bundled list (then IAM, which we stub
        # out); a name it does not know stays a bare name, which IAM refuses at create time.
        properties = resource.get("Properties")
        arns = properties.get("ManagedPolicyArns") if isinstance(properties, dict) else None
        for i, arn in enumerate(arns if isinstance(arns, list) else []):
            if isinstance(arn, str) and not arn.startswith("arn:"):
                problems.append(f"{where}.Properties.ManagedPolicyArns[{i}]: {arn!r} is not an ARN (unknown managed policy name?)")
        for target, path in targets:
            graph[name].add(target)
            edge_source.setdefault((name, target), path)

    for members in cycles(graph):
        # Name every member, then show one loop with the property that makes each step.
        loop = shortest_cycle(graph, members)
        steps = " -> ".join(
            f"{a} [{edge_source[(a, b)].removeprefix(f'Resources.{a}.')}]" for a, b in zip(loop, loop[1:])
        )
        problems.append(
            f"circular dependency between {len(members)} resources: {', '.join(members)}\n"
            f"      e.g. {steps} -> {loop[-1]}"
        )

    # Outputs may name resources and parameters, but nothing that does not exist.
    for name, output in outputs.items():
        where = f"Outputs.{name}"
        if not isinstance(output, dict) or "Value" not in output:
            problems.append(f"{where}: needs a Value")
            continue
        condition = output.get("Condition")
        if condition is not None and (not isinstance(condition, str) or condition not in conditions):
            problems.append(f"{where}.Condition: condition {condition!r} is not defined in Conditions")
        refs = References()
        collect({k: v for k, v in output.items() if k != "Condition"}, where, refs)
        check_refs(refs, refable, "a resource, a parameter or a pseudo parameter")
        for target, path in refs.getatts:
            if target not in resources:
                problems.append(f"{path}: Fn::GetAtt names {target!r}, which is not a resource")

    size = len(json.dumps(template, separators=(",", ":")).encode("utf-8"))
    if size > MAX_TEMPLATE_BYTES:
        problems.append(f"the transformed template is {size:,} bytes of JSON, over {MAX_TEMPLATE_BYTES:,}")
    stats = {
        "resources": len(resources),
        "parameters": len(parameters),
        "outputs": len(outputs),
        "mappings": len(mappings),
        "edges": sum(len(t) for t in graph.values()),
        "bytes": size,
    }
    return problems, stats


def run(path):
    """Returns (ok, report lines) for the template file at path."""
    try:
        template, source_bytes = load_template(path)
        transforms = transforms_of(template)
        other = [t for t in transforms if t != SAM_TRANSFORM]
        if other:
            # AWS::LanguageExtensions, macros, AWS::Include: CloudFormation runs them in the
            # cloud; checking without them would vouch for a template we have not seen.
            raise TemplateError(f"transform(s) {other} cannot be run offline; this checker only knows {SAM_TRANSFORM}")
        if '"Fn::Transform"' in json.dumps(template):  # a key anywhere in the template
            raise TemplateError("Fn::Transform (e.g. AWS::Include) cannot be run offline")
        if transforms:
            template = sam_transform(template)
        problems, stats = check(template)
    except TemplateError as e:
        return False, [f"FAIL {path}: {e}"]
    except Exception as e:  # a template shape this checker did not foresee: still a clear line
        return False, [f"FAIL {path}: the checker could not read the template ({type(e).__name__}: {e})"]
    if source_bytes > MAX_TEMPLATE_BYTES:
        problems.append(f"the source template is {source_bytes:,} bytes, over {MAX_TEMPLATE_BYTES:,}")
    summary = (
        f"{stats['resources']} resources (max {MAX_RESOURCES}), {stats['parameters']} parameters, "
        f"{stats['outputs']} outputs, {stats['mappings']} mappings, {stats['edges']} dependency edges, "
        f"{stats['bytes']:,} bytes as JSON after the transform (max {MAX_TEMPLATE_BYTES:,}), "
        f"{source_bytes:,} bytes source"
    )
    if problems:
        lines = [f"FAIL {path}: CloudFormation would refuse it ({len(problems)} problem(s))"]
        lines += [f"  {p}" for p in problems]
        lines.append(f"  ({summary})")
        return False, lines
    return True, [f"OK {path}: {summary}"]


def main(argv):
    if len(argv) > 2 or (len(argv) == 2 and argv[1] in ("-h", "--help")):
        print(__doc__.strip())
        return 2
    path = argv[1] if len(argv) == 2 else "infra/template.yaml"
    ok, lines = run(path)
    print("\n".join(lines))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
