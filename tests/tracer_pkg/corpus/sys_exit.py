"""``sys.exit`` inside the script: the exit code is kept, and so is everything captured before.

{
    "probes": {"last": "@last:last", "status": "@status:status", "after": "@after:after"},
    "order": [("last", 0), ("last", 1), ("status", 3)],
    "values": {"after": []},
    "exit_code": 3,
}
"""

import sys


def finish(code):
    status = code * 3  # @status
    sys.exit(status)


for i in range(5):
    if i == 2:
        finish(1)
    last = i  # @last

after = 99  # @after
