"""A process that takes one Glare lock and holds it until it is killed (tests of a lock
holder that dies).

    python -m tests.support.lock_holder '<settings as JSON>' <lock key>

It builds a Glare app on the given settings (the database of the test's app), takes the
lock through the app's own locker, prints ``held`` and sleeps.
"""

from __future__ import annotations

import json
import sys
import time

from glare_core.app import create_app


def main() -> None:
    settings, key = json.loads(sys.argv[1]), sys.argv[2]
    app = create_app(settings, plugins=[], autoload=False)
    with app.extensions["glare"].engine.context.locker.hold(key, wait=0):
        print("held", flush=True)
        while True:
            time.sleep(60)


if __name__ == "__main__":
    main()
