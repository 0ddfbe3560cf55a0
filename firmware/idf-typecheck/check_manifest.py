"""Checks firmware/esp32-gateway/main/idf_component.yml with the ESP-IDF Component Manager's
own parser: the manifest is valid, and its ESP-IDF range admits exactly the versions the #error
guards in main/gw.h admit (so the range is stated once in effect, in two places tools read).

Usage: python3 check_manifest.py <idf_component.yml> <gw.h> <checked ESP-IDF version>
"""
import re
import sys

from idf_component_tools.manifest.models import Manifest
from idf_component_tools.semver import SimpleSpec, Version
from ruamel.yaml import YAML


def fail(message: str) -> None:
    print(f"check_manifest: {message}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    manifest_path, header_path, checked = sys.argv[1:4]
    with open(manifest_path, encoding="utf-8") as f:
        tree = YAML(typ="safe").load(f)
    Manifest.fromdict(tree)  # raises on an invalid manifest or version spec
    spec_text = tree["dependencies"]["idf"]
    spec = SimpleSpec(spec_text if isinstance(spec_text, str) else spec_text["version"])

    with open(header_path, encoding="utf-8") as f:
        header = f.read()
    low = re.search(r"ESP_IDF_VERSION < ESP_IDF_VERSION_VAL\((\d+), (\d+), (\d+)\)", header)
    high = re.search(r"ESP_IDF_VERSION >= ESP_IDF_VERSION_VAL\((\d+), (\d+), (\d+)\)", header)
    if not low or not high:
        fail(f"no ESP-IDF version guards (#if ESP_IDF_VERSION < / >= ...) in {header_path}")
    lo = tuple(int(x) for x in low.groups())
    hi = tuple(int(x) for x in high.groups())

    def guards_admit(v: tuple) -> bool:
        return lo <= v < hi

    probes = {lo, hi, tuple(int(x) for x in checked.split("."))}
    for major in range(lo[0], hi[0] + 2):
        for minor in range(0, 7):
            for patch in (0, 1, 2, 3, 9):
                probes.add((major, minor, patch))
    for v in sorted(probes):
        text = ".".join(str(x) for x in v)
        if spec.match(Version(text)) != guards_admit(v):
            fail(f"ESP-IDF {text}: idf_component.yml says {spec.match(Version(text))}, gw.h says {guards_admit(v)}")
    if not spec.match(Version(checked)):
        fail(f"the headers checked here (ESP-IDF {checked}) are outside the stated range {spec_text}")
    print(f"ok: idf_component.yml is valid; ESP-IDF {spec_text}, the same range as gw.h, includes {checked}")


if __name__ == "__main__":
    main()
