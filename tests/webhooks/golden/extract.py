"""Extract the example payloads of Cal.com's Webhooks guide (the seed) into one JSON file per example.

Run from the project root: ``python tests/webhooks/golden/extract.py [SEED_FILE]``. The files are
committed; this script documents where they came from and regenerates them byte for byte.
"""

import json
import re
import sys
from collections import Counter
from pathlib import Path

SEED = Path(__file__).resolve().parents[4] / "shared" / "seeds" / "001_924f7dda5d88221f.txt"
FIRST, LAST = 5766, 7345  # the example payloads of the guide (after the envelope illustration)
OUT = Path(__file__).parent


def blocks(lines: list[str]) -> list[str]:
    """The ```json blocks between FIRST and LAST (1-based line numbers)."""
    found, current = [], None
    for line in lines[FIRST - 1 : LAST]:
        if line.startswith("```json"):
            current = []
        elif line.startswith("```") and current is not None:
            found.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return found


def parse(text: str) -> dict:
    # The guide redacts attendee ids as `00000000`, which JSON forbids (leading zeros).
    return json.loads(re.sub(r":\s*0{2,}(?=\s*[,}\n])", ": 0", text))


def main(seed: Path = SEED) -> None:
    seen: Counter[str] = Counter()
    for text in blocks(seed.read_text().splitlines()):
        example = parse(text)
        trigger = example["triggerEvent"]
        seen[trigger] += 1
        name = trigger if seen[trigger] == 1 else f"{trigger}.{seen[trigger]}"
        (OUT / f"{name}.json").write_text(json.dumps(example, indent=2, ensure_ascii=False) + "\n")
    print(f"{sum(seen.values())} examples for {len(seen)} triggers written to {OUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else SEED)
